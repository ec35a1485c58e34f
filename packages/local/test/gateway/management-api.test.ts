import { request as httpRequest, Agent } from "node:http";
import {
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
  ApiGatewayManagementApiClient,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { afterEach, describe, expect, it } from "vitest";
import { DELETE_CONNECTION_CLOSE } from "../../src/gateway";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));
const routes = { $connect: {}, $disconnect: {}, $default: { routeResponse: true, handler: () => "pong" } };

/** An id with every character that needs URL encoding, so encoding bugs cannot hide. */
const awkwardIds = () => {
  let n = 0;
  return () => `a/b+c=${++n}=`;
};

describe("Management API through the real SDK", () => {
  it("PostToConnection delivers the raw body as a text frame", async () => {
    const t = await start({ routes, newConnectionId: awkwardIds() });
    const client = t.connect();
    await client;
    const id = t.gateway.connections()[0]!.connectionId;
    expect(id).toContain("/");
    const out = await t.management.send(
      new PostToConnectionCommand({ ConnectionId: id, Data: JSON.stringify({ type: "pong", id: "r1" }) }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toBeTruthy();
    expect(await client.nextMessage()).toBe('{"type":"pong","id":"r1"}');
    await t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: new TextEncoder().encode("bytes é") }));
    expect(await client.nextMessage()).toBe("bytes é");
  });

  it("GetConnection parses in the SDK: ISO dates and identity", async () => {
    const t = await start({ routes });
    const client = t.connect({ headers: { "user-agent": "fan-browser/2" } });
    const ws = await client;
    const connectedAt = t.time.now();
    t.time.advance(3_000);
    ws.send("hi");
    await client.nextMessage();
    const out = await t.management.send(new GetConnectionCommand({ ConnectionId: t.gateway.connections()[0]!.connectionId }));
    expect(out.ConnectedAt).toBeInstanceOf(Date);
    expect(out.ConnectedAt?.getTime()).toBe(connectedAt);
    expect(out.LastActiveAt?.getTime()).toBe(connectedAt + 3_000);
    expect(out.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: "fan-browser/2" });
  });

  it("DeleteConnection closes the socket and $disconnect gets the status", async () => {
    const t = await start({ routes });
    const client = t.connect();
    await client;
    const id = t.gateway.connections()[0]!.connectionId;
    const out = await t.management.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    expect(await client.closed).toEqual(DELETE_CONNECTION_CLOSE);
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({
      connectionId: id,
      eventType: "DISCONNECT",
      disconnectStatusCode: DELETE_CONNECTION_CLOSE.code,
      disconnectReason: DELETE_CONNECTION_CLOSE.reason,
    });
    expect(t.gateway.connections()).toHaveLength(0);
  });

  it("raises GoneException (the class, via x-amzn-ErrorType) for unknown and closed connections", async () => {
    const t = await start({ routes });
    const unknown = await t.management
      .send(new PostToConnectionCommand({ ConnectionId: "L0SM9cOFvHcCIhw=", Data: "x" }))
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(GoneException);
    expect((unknown as GoneException).$metadata.httpStatusCode).toBe(410);
    expect((unknown as GoneException).message).toMatch(/gone; delete it/);

    const client = t.connect();
    await client;
    const id = t.gateway.connections()[0]!.connectionId;
    client.ws.close(1000, "bye");
    await t.recorder.waitFor("$disconnect");
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: id, Data: "x" }),
      new GetConnectionCommand({ ConnectionId: id }),
      new DeleteConnectionCommand({ ConnectionId: id }),
    ]) {
      await expect(t.management.send(command as PostToConnectionCommand)).rejects.toBeInstanceOf(GoneException);
    }
  });

  it("answers a body over the limit with PayloadTooLargeException and keeps the connection", async () => {
    const t = await start({ routes, limits: { maxPostBytes: 1_000 } });
    const client = t.connect();
    await client;
    const id = t.gateway.connections()[0]!.connectionId;
    await expect(t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: "x".repeat(1_001) }))).rejects.toBeInstanceOf(
      PayloadTooLargeException,
    );
    await t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: "x".repeat(1_000) }));
    expect(await client.nextMessage()).toHaveLength(1_000);
  });

  it("rejects 200 KB by default (128 KB limit)", async () => {
    const t = await start({ routes });
    await t.connect();
    const id = t.gateway.connections()[0]!.connectionId;
    await expect(t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: "x".repeat(200 * 1024) }))).rejects.toBeInstanceOf(
      PayloadTooLargeException,
    );
  });

  it("throttles with LimitExceededException when managementRatePerSecond is set", async () => {
    const t = await start({ routes, limits: { managementRatePerSecond: 1 } });
    await t.connect();
    const id = t.gateway.connections()[0]!.connectionId;
    const noRetry = new ApiGatewayManagementApiClient({
      endpoint: t.gateway.managementEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });
    await noRetry.send(new GetConnectionCommand({ ConnectionId: id }));
    const error = await noRetry.send(new GetConnectionCommand({ ConnectionId: id })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededException);
    expect((error as LimitExceededException).$metadata.httpStatusCode).toBe(429);
    noRetry.destroy();
  });

  it("lets the SDK's retries succeed through the throttle", async () => {
    let throttled = 0;
    let advance: (() => void) | undefined;
    const t = await start({
      routes,
      limits: { managementRatePerSecond: 1 },
      // The token refills when (fake) time moves: move it exactly when a request is refused.
      onLog: (_level, message) => {
        if (message.includes("throttled")) {
          throttled += 1;
          advance?.();
        }
      },
    });
    advance = () => t.time.advance(1_000);
    const client = t.connect();
    await client;
    const id = t.gateway.connections()[0]!.connectionId;
    await t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: "one" }));
    const out = await t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: "two" }));
    expect(throttled).toBe(1);
    expect(out.$metadata.attempts).toBe(2);
    expect(await client.nextMessage()).toBe("one");
    expect(await client.nextMessage()).toBe("two");
  });

  it("answers 403 ForbiddenException for a wrong stage, through the SDK", async () => {
    const t = await start({ routes });
    await t.connect();
    const wrongStage = new ApiGatewayManagementApiClient({
      endpoint: t.gateway.managementEndpoint.replace(/\/local$/, "/prod"),
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await expect(
      wrongStage.send(new GetConnectionCommand({ ConnectionId: t.gateway.connections()[0]!.connectionId })),
    ).rejects.toBeInstanceOf(ForbiddenException);
    wrongStage.destroy();
  });
});

describe("Management API over raw HTTP", () => {
  it("requires a SigV4 Authorization header (any signature), like AWS", async () => {
    const t = await start({ routes });
    await t.connect();
    const url = `${t.gateway.managementEndpoint}/@connections/${encodeURIComponent(t.gateway.connections()[0]!.connectionId)}`;
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("ForbiddenException");
    expect(await unsigned.json()).toEqual({ message: "Missing Authentication Token" });
    const anySignature = await fetch(url, {
      headers: {
        authorization: "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00",
      },
    });
    expect(anySignature.status).toBe(200);
  });

  it.each([
    ["a path without @connections", "/local/connections/abc"],
    ["another stage", "/prod/@connections/abc"],
    ["the root", "/"],
  ])("answers 403 Missing Authentication Token for %s", async (_what, path) => {
    const t = await start({ routes });
    const response = await fetch(`http://127.0.0.1:${t.gateway.port}${path}`, { headers: { authorization: "AWS4-HMAC-SHA256 x" } });
    expect(response.status).toBe(403);
    expect(response.headers.get("x-amzn-errortype")).toBe("ForbiddenException");
    expect(await response.json()).toEqual({ message: "Missing Authentication Token" });
  });

  it("answers a bare 410 never: Gone always carries x-amzn-ErrorType and a JSON message", async () => {
    const t = await start({ routes });
    const response = await fetch(`${t.gateway.managementEndpoint}/@connections/nope`, {
      method: "POST",
      body: "x",
      headers: { authorization: "AWS4-HMAC-SHA256 x" },
    });
    expect(response.status).toBe(410);
    expect(response.headers.get("x-amzn-errortype")).toBe("GoneException");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toHaveProperty("message");
  });

  it("keeps connections alive between requests, as the SDK expects", async () => {
    const t = await start({ routes });
    await t.connect();
    const id = encodeURIComponent(t.gateway.connections()[0]!.connectionId);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = httpRequest(
          `${t.gateway.managementEndpoint}/@connections/${id}`,
          { agent, headers: { authorization: "AWS4-HMAC-SHA256 x" } },
          (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
          },
        );
        req.on("error", reject);
        req.end();
      });
    expect(await get()).toEqual({ status: 200, reused: false });
    expect(await get()).toEqual({ status: 200, reused: true });
    agent.destroy();
  });
});
