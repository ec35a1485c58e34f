/**
 * The machine's own limits, each fed the same messages to the same kind of
 * sockets as pushgate:
 *  (a) a bare `ws` broadcast: no Lambda, no DynamoDB, no HTTP per message;
 *  (b) one keep-alive `node:http` POST per message to the emulator's
 *      `@connections`, no SDK, signed (the emulator verifies SigV4): the cost
 *      of a signed HTTP call per message, which AWS's Management API also imposes;
 *  (b') the same loop through pushgate's lean client (SigV4 with
 *      @smithy/signature-v4 over keep-alive HTTP), bare: no Lambda, no
 *      DynamoDB, no circuit breaker: what signing adds to (b);
 *  (c) the same loop through `@aws-sdk/client-apigatewaymanagementapi`.
 * (b), (b') and (c) run with the fan-out's own concurrency (PUSHGATE_FANOUT_CONCURRENCY, default 50).
 */
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { executeApiSigner } from "@pushgate/core/adapters/execute-api-signer";
import { LeanManagementApiGateway } from "@pushgate/core/adapters/lean-management-api-gateway";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { WebSocketServer } from "ws";
import { epochMs, sleep } from "./clock";
import type { FanFleet } from "./fan-fleet";
import type { CollectedReply } from "./fan-protocol";
import { latencies, mergeReceipts, type LatencyResult, type SentMessage } from "./latency";
import { progress } from "./progress";

export interface BareBroadcastServer {
  url: string;
  clients(): number;
  /** Sends `text` to every open client, in one synchronous pass like a naive broadcast. */
  broadcast(text: string): void;
  stop(): Promise<void>;
}

export async function startBareBroadcastServer(): Promise<BareBroadcastServer> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    clients: () => wss.clients.size,
    broadcast(text) {
      for (const client of wss.clients) client.send(text);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

export interface PostLoopResult {
  ok: number;
  failed: number;
}

/** Runs `post` over every id with `concurrency` workers sharing one cursor (the fan-out's own shape). */
async function workerPool(ids: readonly string[], concurrency: number, post: (id: string) => Promise<boolean>): Promise<PostLoopResult> {
  const result: PostLoopResult = { ok: 0, failed: 0 };
  let cursor = 0;
  const worker = async () => {
    while (cursor < ids.length) {
      const id = ids[cursor++]!;
      if (await post(id)) result.ok++;
      else result.failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}

/** The local cloud's admin pair: @connections verifies every signature, as API Gateway does. */
export type BenchCredentials = { accessKeyId: string; secretAccessKey: string };

export interface ManagementPoster {
  postAll(ids: readonly string[], body: string): Promise<PostLoopResult>;
  close(): void;
}

/**
 * (b): raw keep-alive POSTs, one `node:http` request per message. The
 * emulator verifies SigV4 on `@connections` as API Gateway does (a dummy
 * header is refused with 403), so each request carries a real signature for
 * `credentials` (the local cloud's admin pair), made by pushgate's own signer:
 * the floor of a post is then HTTP plus the signature, on both sides.
 */
export function rawManagementPoster(managementEndpoint: string, concurrency: number, credentials: BenchCredentials): ManagementPoster {
  const base = new URL(managementEndpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const signer = executeApiSigner("us-east-1", credentials);
  const port = base.port ? Number(base.port) : undefined;
  const post = async (id: string, body: Buffer) => {
    const path = `${base.pathname}/@connections/${encodeURIComponent(id)}`;
    const headers = await signer.sign({
      method: "POST",
      protocol: base.protocol,
      hostname: base.hostname,
      ...(port && { port }),
      path,
      headers: { "content-type": "application/octet-stream", "content-length": String(body.length) },
      body,
    });
    return new Promise<boolean>((resolve) => {
      const call = request({ agent, host: base.hostname, port: base.port, method: "POST", path, headers }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode === 200));
      });
      call.on("error", () => resolve(false));
      call.end(body);
    });
  };
  return {
    postAll: (ids, body) => {
      const bytes = Buffer.from(body);
      return workerPool(ids, concurrency, (id) => post(id, bytes));
    },
    close: () => agent.destroy(),
  };
}

/** (b'): pushgate's lean client in the same loop. */
export function signedManagementPoster(managementEndpoint: string, concurrency: number, credentials: BenchCredentials): ManagementPoster {
  const gateway = new LeanManagementApiGateway({
    endpoint: managementEndpoint,
    region: "us-east-1",
    credentials,
    maxSockets: concurrency,
    timeoutMs: 10_000,
  });
  return {
    postAll: (ids, body) => workerPool(ids, concurrency, async (id) => (await gateway.post(id, body).catch(() => "failed")) === "ok"),
    close: () => gateway.close(),
  };
}

/** (c): the AWS SDK's PostToConnection, with a keep-alive agent sized to the concurrency. */
export function sdkManagementPoster(managementEndpoint: string, concurrency: number, credentials: BenchCredentials): ManagementPoster {
  const client = new ApiGatewayManagementApiClient({
    region: "us-east-1",
    endpoint: managementEndpoint,
    credentials,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: concurrency }) }),
  });
  return {
    postAll: (ids, body) => {
      const data = Buffer.from(body);
      return workerPool(ids, concurrency, async (id) => {
        try {
          await client.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }));
          return true;
        } catch {
          return false;
        }
      });
    },
    close: () => client.destroy(),
  };
}

/** A message frame shaped like a score push (with a `lastPlay`, the size of a touchdown's), keyed by `topic` and `seq`. */
export function benchFrame(topic: string, seq: number, lastPlay?: string): string {
  return JSON.stringify({
    type: "message",
    topic,
    seq,
    kind: "score-update",
    data: { home: 21, away: 17, period: "Q4", clock: "02:00", ...(lastPlay && { lastPlay }) },
    ts: new Date().toISOString(),
  });
}

export interface PostRoundsOptions {
  topic: string;
  rounds: number;
  /** Sockets expected to receive each round. */
  audience: number;
  /** Pause after each round, so its last frames reach the clients. */
  settleMs: number;
  collectTimeoutMs: number;
  /** A `lastPlay` per round, for frames the size of the scenario's own publications. */
  lastPlay?: (seq: number) => string;
  /** Called after each round with its time from start to the end of the pause. */
  onRound?: (seq: number, ms: number) => void;
}

/** `rounds` posts of a bench frame to every id through `poster`, then the receipts `fleet`'s processes saw, as latencies. */
export async function postRounds(
  fleet: FanFleet,
  poster: ManagementPoster,
  ids: readonly string[],
  options: PostRoundsOptions,
): Promise<LatencyResult> {
  const { topic } = options;
  const sent: SentMessage[] = [];
  for (let seq = 1; seq <= options.rounds; seq++) {
    const body = benchFrame(topic, seq, options.lastPlay?.(seq));
    const startedAt = epochMs();
    const outcome = await poster.postAll(ids, body);
    if (outcome.failed > 0) progress(`  ${topic} round ${seq}: ${outcome.failed} posts of ${ids.length} failed`);
    sent.push({ key: `${topic}#${seq}`, startedAt });
    await sleep(options.settleMs);
    options.onRound?.(seq, epochMs() - startedAt);
  }
  const parts = await fleet.all<CollectedReply>(() => ({ type: "collect" }), options.collectTimeoutMs);
  return latencies(sent, mergeReceipts(parts.map((part) => part.receipts)), options.audience);
}
