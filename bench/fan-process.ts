/**
 * A fan process: holds many real `ws` sockets (or push clients, or polling
 * fans) apart from the server's process, and records when each message
 * arrives with the shared wall clock (lib/clock.ts). Receipts are kept here
 * and handed over on `collect`, so no IPC traffic competes with the
 * measurement while messages are in flight.
 *
 * Started by lib/fan-fleet.ts with `fork(..., { execArgv: ["--import", "tsx"] })`.
 */
import { WebSocket } from "ws";
import { createPushClient, type PushClient } from "@pushgate/client";
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "@pushgate/core/wire";
import { epochMs, sleep } from "./lib/clock";
import type {
  AuditReply,
  ClientReportReply,
  CollectedReply,
  FanCommand,
  OpenedReply,
  OpenSockets,
  Poll,
  PolledReply,
  PreparePoll,
  PresaleHold,
  PresaleHoldReply,
  PresaleJoin,
  PresaleJoinReply,
  PresaleSessions,
  PresaleTickets,
  PresaleTicketsReply,
  StartClients,
} from "./lib/fan-protocol";

/** How long opening may take: 240 s, or 1 s a socket for big shares (the local cloud subscribes ~50 fans/s on 2 cores). */
const setupTimeoutMs = (count: number) => Math.max(240_000, count * 1000);
/** Handshakes (token, $connect, subscribe) in flight per process: more only queues inside the server and times out. */
const SETUP_CONCURRENCY = 24;
/** The presale's sockets subscribe after a burst, on a loaded server: fewer in flight, or their subscribe handlers time out. */
const HOLD_CONCURRENCY = 8;
const sockets: WebSocket[] = [];
let receipts = new Map<string, number[]>();
/** Per open socket, the `${topic}#${seq}` of every push it got: "every client got every publication" is checked per socket. */
const seenBySocket = new Map<WebSocket, string[]>();

function record(text: string, at: number, seen?: string[]) {
  // Only pushes are timed; acks and pongs are not part of any latency.
  if (!text.startsWith('{"type":"message"')) return;
  const frame = JSON.parse(text) as { topic: string; seq: number };
  const key = `${frame.topic}#${frame.seq}`;
  let list = receipts.get(key);
  if (!list) receipts.set(key, (list = []));
  list.push(at);
  seen?.push(key);
}

/** Of the open sockets, how many lack at least one of `keys`, and how many pushes of `keys` arrived more than once on one socket. */
function audit(keys: string[]): AuditReply {
  let missing = 0;
  let duplicates = 0;
  for (const seen of seenBySocket.values()) {
    const counts = new Map(keys.map((key) => [key, 0]));
    for (const key of seen) if (counts.has(key)) counts.set(key, counts.get(key)! + 1);
    let lacks = false;
    for (const count of counts.values()) {
      if (count === 0) lacks = true;
      if (count > 1) duplicates += count - 1;
    }
    if (lacks) missing++;
  }
  return { sockets: seenBySocket.size, missing, duplicates };
}

async function sessionToken(httpApiUrl: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(`${httpApiUrl}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    if (response.ok) return ((await response.json()) as { token: string }).token;
    await sleep(200 * (attempt + 1));
  }
  throw new Error(`POST ${httpApiUrl}/session kept failing; is the local cloud's HTTP API up?`);
}

type OpenOutcome = { socket: WebSocket } | { status: number };

function openOne(url: string, protocols: string[] | undefined, localAddress?: string): Promise<OpenOutcome> {
  return new Promise((resolve, reject) => {
    const options = localAddress ? { localAddress } : {};
    const socket = protocols ? new WebSocket(url, protocols, options) : new WebSocket(url, options);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`socket to ${url} neither opened nor failed in 30 s`));
    }, 30_000);
    socket.once("open", () => {
      clearTimeout(timer);
      resolve({ socket });
    });
    socket.once("unexpected-response", (_request, response) => {
      clearTimeout(timer);
      socket.terminate();
      resolve({ status: response.statusCode ?? 0 });
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function subscribeOn(socket: WebSocket, topics: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const id = `s${Math.random().toString(36).slice(2)}`;
    const timer = setTimeout(() => reject(new Error(`no "subscribed" ack for ${topics.join(",")} within 30 s`)), 30_000);
    const onMessage = (data: Buffer) => {
      const text = data.toString();
      if (!text.includes(id)) return;
      clearTimeout(timer);
      socket.off("message", onMessage);
      if (text.startsWith('{"type":"subscribed"')) resolve();
      else reject(new Error(`subscribe refused: ${text}`));
    };
    socket.on("message", onMessage);
    socket.send(JSON.stringify({ action: "subscribe", id, topics }));
  });
}

/** Opens `count` sockets at a steady rate; a 429 (new-connection quota) is retried after a pause, up to 10 times. */
async function openSockets(command: OpenSockets): Promise<OpenedReply> {
  const started = Date.now();
  const gapMs = 1000 / command.ratePerSecond;
  let failed = 0;
  let refused429 = 0;
  const reasons = new Map<string, number>();
  const socketsPerToken = command.socketsPerToken ?? 1;
  let sharedToken: { promise: Promise<string>; uses: number } | undefined;
  const tokenFor = (httpApiUrl: string) => {
    if (!sharedToken || sharedToken.uses >= socketsPerToken) sharedToken = { promise: sessionToken(httpApiUrl), uses: 0 };
    sharedToken.uses++;
    return sharedToken.promise;
  };
  let opening = 0;
  const openFan = async () => {
    const protocols = command.httpApiUrl ? [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${await tokenFor(command.httpApiUrl)}`] : undefined;
    const localAddress = command.localAddresses?.[opening++ % command.localAddresses.length];
    for (let attempt = 0; attempt < 10; attempt++) {
      const outcome = await openOne(command.url, protocols, localAddress);
      if ("socket" in outcome) {
        const socket = outcome.socket;
        const seen: string[] = [];
        socket.on("message", (data: Buffer) => record(data.toString(), epochMs(), seen));
        socket.on("error", () => {});
        // A subscribe whose handler timed out on a loaded server is asked again, as a fan's page would; a socket
        // that never got its ack is closed, not left open outside the count.
        for (let subscribeAttempt = 1; command.subscribe; subscribeAttempt++) {
          try {
            await subscribeOn(socket, command.subscribe);
            break;
          } catch (error) {
            if (subscribeAttempt < 3) continue;
            socket.terminate();
            throw error;
          }
        }
        seenBySocket.set(socket, seen);
        sockets.push(socket);
        return;
      }
      if (outcome.status !== 429) throw new Error(`handshake refused with HTTP ${outcome.status}`);
      refused429++;
      await sleep(500 + Math.random() * 500);
    }
    throw new Error("handshake refused with 429 ten times");
  };
  // At most SETUP_CONCURRENCY handshakes in flight, started no faster than ratePerSecond.
  let next = 0;
  let nextStartAt = Date.now();
  const worker = async () => {
    while (next < command.count) {
      if (Date.now() - started > setupTimeoutMs(command.count))
        throw new Error(`opening ${command.count} sockets took over ${setupTimeoutMs(command.count)} ms`);
      next++;
      const wait = nextStartAt - Date.now();
      nextStartAt = Math.max(nextStartAt, Date.now()) + gapMs;
      if (wait > 0) await sleep(wait);
      await openFan().catch((error: unknown) => {
        failed++;
        const reason = error instanceof Error ? error.message : String(error);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency ?? SETUP_CONCURRENCY, command.count) }, worker));
  if (reasons.size > 0)
    process.stderr.write(`fan process ${process.pid}: ${failed} sockets failed: ${JSON.stringify(Object.fromEntries(reasons))}\n`);
  return { opened: command.count - failed, failed, refused429, ms: Date.now() - started };
}

async function closeSockets(): Promise<void> {
  // The presale's held sockets close with the rest.
  for (const { socket } of heldFans.splice(0)) sockets.push(socket);
  const closed = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once("close", () => resolve());
        socket.close(1000, "bench done");
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 3000);
      }),
  );
  await Promise.all(closed);
  sockets.length = 0;
  seenBySocket.clear();
}

/**
 * Each fan gets its own token and presigned URL (GET /snapshots), then GETs it
 * every `intervalMs` from a random phase with If-None-Match, as the client's
 * polling transport does. Records the first time each fan held each seq.
 */
let pollUrls: string[] = [];

async function preparePoll(command: PreparePoll): Promise<void> {
  pollUrls = [];
  for (let fan = 0; fan < command.fans; fan++) {
    const token = await sessionToken(command.httpApiUrl);
    const response = await fetch(`${command.httpApiUrl}/snapshots?topics=${encodeURIComponent(command.topic)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`GET /snapshots answered ${response.status}: ${await response.text()}`);
    pollUrls.push(((await response.json()) as { snapshots: { url: string }[] }).snapshots[0]!.url);
  }
}

async function poll(command: Poll): Promise<PolledReply> {
  const counts = { requests: 0, ok: 0, notModified: 0, errors: 0 };
  const urls = pollUrls;
  const firstSeen: [number, number][][] = urls.map(() => []);
  const startedAt = epochMs();
  const endAt = Date.now() + command.durationMs;
  const fanLoop = async (fan: number) => {
    let etag: string | undefined;
    let lastSeq = 0;
    await sleep(Math.random() * command.intervalMs);
    while (Date.now() < endAt) {
      const due = Date.now() + command.intervalMs;
      counts.requests++;
      try {
        const response = await fetch(urls[fan]!, { headers: etag ? { "if-none-match": etag } : {} });
        const at = epochMs();
        if (response.status === 304) counts.notModified++;
        else if (response.ok) {
          counts.ok++;
          etag = response.headers.get("etag") ?? undefined;
          const snapshot = (await response.json()) as { seq: number };
          if (snapshot.seq > lastSeq) {
            lastSeq = snapshot.seq;
            firstSeen[fan]!.push([snapshot.seq, at]);
          }
        } else {
          counts.errors++;
          await response.arrayBuffer();
        }
      } catch {
        counts.errors++;
      }
      await sleep(Math.max(0, due - Date.now()));
    }
  };
  await Promise.all(urls.map((_, fan) => fanLoop(fan)));
  return { ...counts, firstSeen, startedAt, endedAt: epochMs() };
}

interface ClientRecord {
  client: PushClient;
  applied: [number, number][];
}
const clients: ClientRecord[] = [];
let states: [number, string, number][] = [];
let failures: Record<string, number> = {};

/** Push clients, started at a steady rate; resolves when every one is subscribed (or 120 s passed). */
async function startClients(command: StartClients): Promise<OpenedReply> {
  const started = Date.now();
  let subscribed = 0;
  const offset = clients.length;
  for (let index = 0; index < command.count; index++) {
    const clientIndex = offset + index;
    const client = createPushClient({
      httpApiUrl: command.httpApiUrl,
      websocketUrl: command.websocketUrl,
      WebSocket: WebSocket as never,
      topics: [command.topic],
      // The storm is about sockets: polling S3 meanwhile would be a different load.
      polling: false,
      online: null,
      reconnect: command.reconnect,
      ...(command.fixedRandom !== undefined && { random: () => command.fixedRandom! }),
    });
    const entry: ClientRecord = { client, applied: [] };
    client.on("message", ({ frame }) => entry.applied.push([frame.seq, epochMs()]));
    client.on("state", ({ to }) => states.push([clientIndex, to, epochMs()]));
    client.on("error", (error) => {
      if (error.origin !== "client") return;
      const key = error.status !== undefined ? String(error.status) : error.code;
      failures[key] = (failures[key] ?? 0) + 1;
    });
    let counted = false;
    client.on("subscribed", () => {
      if (!counted) subscribed++;
      counted = true;
    });
    clients.push(entry);
    client.connect();
    await sleep(1000 / command.ratePerSecond);
    // Like the sockets above: no more than SETUP_CONCURRENCY clients still on their way to subscribed.
    while (index + 1 - subscribed >= SETUP_CONCURRENCY && Date.now() - started < setupTimeoutMs(command.count)) await sleep(10);
  }
  while (subscribed < command.count && Date.now() - started < setupTimeoutMs(command.count)) await sleep(50);
  return { opened: subscribed, failed: command.count - subscribed, refused429: failures["429"] ?? 0, ms: Date.now() - started };
}

/** The topic the push clients hold (one per process, set by start-clients). */
let heldTopic = "";

function clientReport(): ClientReportReply {
  return {
    applied: clients.map((entry) => entry.applied),
    states,
    failures,
    final: clients.map(({ client }) => {
      const snapshot = client.topic(heldTopic).getSnapshot();
      return { seq: snapshot.seq, data: snapshot.data, state: client.getState() };
    }),
  };
}

/**
 * The presale's fans: a session each (made before the burst, so the burst is
 * joins only), then a join, then GET .../me for the ticket; some then hold a
 * socket on the queue topic and note when they are told their turn.
 */
interface PresaleFan {
  token: string;
  group: "before" | "after";
  ticket: number | null;
  toldAt?: number;
}
const presaleFans: PresaleFan[] = [];
const heldFans: { fan: PresaleFan; socket: WebSocket }[] = [];
let presaleJoinsDone = 0;

/** Runs `work(index)` for 0..count-1 with at most `concurrency` in flight. */
async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function presaleSessions(command: PresaleSessions): Promise<{ ms: number }> {
  const started = Date.now();
  await inParallel(command.count, SETUP_CONCURRENCY, async () => {
    presaleFans.push({ token: await sessionToken(command.httpApiUrl), group: command.group, ticket: null });
  });
  return { ms: Date.now() - started };
}

async function presaleJoin(command: PresaleJoin): Promise<PresaleJoinReply> {
  const fans = presaleFans.filter((fan) => fan.group === command.group);
  const joins: [number, number][] = [];
  const outcomes: Record<string, number> = {};
  const gapMs = 1000 / command.ratePerSecond;
  let nextStartAt = command.startAt;
  presaleJoinsDone = 0;
  await inParallel(fans.length, command.concurrency, async (index) => {
    // The offered schedule: fan i no earlier than startAt + i / rate; later when every slot is busy (closed loop).
    const due = nextStartAt;
    nextStartAt += gapMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const startedAt = epochMs();
    let outcome: string;
    try {
      const response = await fetch(`${command.httpApiUrl}/queues/${command.eventId}/join`, {
        method: "POST",
        headers: { authorization: `Bearer ${fans[index]!.token}` },
      });
      outcome = response.ok ? ((await response.json()) as { status: string }).status : `HTTP ${response.status}`;
      if (!response.ok) await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      outcome = error instanceof Error ? error.message : String(error);
    }
    joins.push([startedAt, epochMs() - startedAt]);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    presaleJoinsDone++;
  });
  return { joins, outcomes };
}

async function presaleTickets(command: PresaleTickets): Promise<PresaleTicketsReply> {
  let failures = 0;
  await inParallel(presaleFans.length, SETUP_CONCURRENCY, async (index) => {
    const fan = presaleFans[index]!;
    const response = await fetch(`${command.httpApiUrl}/queues/${command.eventId}/me`, {
      headers: { authorization: `Bearer ${fan.token}` },
    });
    if (response.ok) fan.ticket = ((await response.json()) as { ticket: number | null }).ticket;
    else {
      failures++;
      await response.arrayBuffer();
    }
  });
  return { tickets: presaleFans.map((fan) => fan.ticket), failures };
}

async function presaleHold(command: PresaleHold): Promise<PresaleHoldReply> {
  const started = Date.now();
  const fans = presaleFans.filter((fan) => fan.ticket !== null && fan.ticket >= command.fromTicket && fan.ticket <= command.toTicket);
  let failed = 0;
  let refused429 = 0;
  const gapMs = 1000 / command.ratePerSecond;
  await inParallel(fans.length, HOLD_CONCURRENCY, async (index) => {
    const fan = fans[index]!;
    await sleep(gapMs * HOLD_CONCURRENCY);
    const outcome = await openOne(command.websocketUrl, [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${fan.token}`]).catch(() => ({
      status: 0,
    }));
    if (!("socket" in outcome)) {
      failed++;
      if (outcome.status === 429) refused429++;
      return;
    }
    const socket = outcome.socket;
    socket.on("error", () => {});
    socket.on("message", (data: Buffer) => {
      if (fan.toldAt !== undefined) return;
      const at = epochMs();
      const text = data.toString();
      if (!text.startsWith('{"type":"message"')) return;
      const frame = JSON.parse(text) as { kind: string; data: { servingNumber: number } };
      if (frame.kind === "queue-position" && frame.data.servingNumber >= fan.ticket!) fan.toldAt = at;
    });
    // A subscribe that timed out in an overloaded server is asked again, as a fan's page would.
    for (let attempt = 1; ; attempt++) {
      try {
        await subscribeOn(socket, [command.topic]);
        heldFans.push({ fan, socket });
        return;
      } catch {
        if (attempt < 3) continue;
        failed++;
        socket.terminate();
        return;
      }
    }
  });
  return {
    opened: heldFans.length,
    held: heldFans.length,
    heldTickets: heldFans.map(({ fan }) => fan.ticket!),
    failed,
    refused429,
    ms: Date.now() - started,
  };
}

async function handle(command: FanCommand): Promise<unknown> {
  switch (command.type) {
    case "open-sockets":
      return openSockets(command);
    case "audit":
      return audit(command.keys);
    case "open-progress":
      return { opened: sockets.length };
    case "receipt-counts":
      return { counts: Object.fromEntries([...receipts].map(([key, times]) => [key, times.length])) };
    case "collect": {
      const reply: CollectedReply = { receipts: Object.fromEntries(receipts) };
      receipts = new Map();
      return reply;
    }
    case "close-sockets":
      return closeSockets();
    case "prepare-poll":
      return preparePoll(command);
    case "poll":
      return poll(command);
    case "start-clients":
      heldTopic = command.topic;
      return startClients(command);
    case "client-report": {
      const reply = clientReport();
      for (const entry of clients) entry.applied = [];
      states = [];
      failures = {};
      return reply;
    }
    case "presale-sessions":
      return presaleSessions(command);
    case "presale-join":
      return presaleJoin(command);
    case "presale-progress":
      return { done: presaleJoinsDone };
    case "presale-tickets":
      return presaleTickets(command);
    case "presale-hold":
      return presaleHold(command);
    case "presale-told":
      return { told: heldFans.filter(({ fan }) => fan.toldAt !== undefined).map(({ fan }) => [fan.ticket, fan.toldAt]) };
    case "close-clients":
      for (const { client } of clients) client.close();
      clients.length = 0;
      return undefined;
  }
}

process.on("message", (command: FanCommand) => {
  handle(command).then(
    (result) => process.send?.({ id: command.id, result }),
    (error: unknown) => process.send?.({ id: command.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
// The orchestrator going away (even killed) must not leave this process holding sockets.
process.on("disconnect", () => process.exit(0));
