import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalCloud, type LocalCloud } from "../src";
import { localDynamoDbClientConfig } from "../src/dynamodb";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordsWrittenTo } from "./fixtures/echo-handlers";
import { echoTopology } from "./fixtures/echo-topology";
import { accepts, listeningAddresses, nonLoopbackAddress } from "./listening";
import { eventually } from "./streams/helpers";

// The echo topology with TTL on its streamed table, so the cloud runs a sweeper.
const topology = {
  ...echoTopology,
  tables: { items: { ...echoTopology.tables.items!, ttlAttribute: "expiresAt" } },
};

const servicePorts = (cloud: LocalCloud) => {
  const { dynamodbEndpoint, s3Endpoint, ssmEndpoint, websocketUrl, httpApiUrl } = cloud.endpoints;
  return Object.entries({ dynamodb: dynamodbEndpoint, s3: s3Endpoint, ssm: ssmEndpoint, gateway: websocketUrl, httpApi: httpApiUrl! }).map(
    ([service, url]) => [service, Number(new URL(url).port)] as const,
  );
};

describe("the local cloud by default", () => {
  let cloud: LocalCloud;
  // The consumer runs in its own sandbox: it writes what it receives to a file (fixtures/echo-handlers.ts).
  const scratch = mkdtempSync(join(tmpdir(), "pushgate-net-"));
  const receivedFile = join(scratch, "received.jsonl");
  const received = () => recordsWrittenTo(receivedFile);
  beforeAll(async () => {
    cloud = await startLocalCloud({ topology, stage: "net", ttlSweepIntervalMs: 300, environment: { ECHO_RECEIVED_FILE: receivedFile } });
  });
  afterAll(async () => {
    await cloud?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 only, every service, and names 127.0.0.1 in its endpoints", async () => {
    for (const [service, port] of servicePorts(cloud)) {
      expect({ service, addresses: listeningAddresses(port) }).toEqual({ service, addresses: ["127.0.0.1"] });
      expect({ service, reachable: await accepts("127.0.0.1", port) }).toEqual({ service, reachable: true });
      const other = nonLoopbackAddress();
      if (other) expect({ service, reachableFromNetwork: await accepts(other, port) }).toEqual({ service, reachableFromNetwork: false });
    }
  });

  it("deletes expired items of a table with ttlAttribute and streams REMOVE with the service identity", async () => {
    const client = new DynamoDBClient({
      ...localDynamoDbClientConfig(cloud.endpoints.dynamodbEndpoint),
      credentials: cloud.endpoints.adminCredentials,
    });
    try {
      const expiresAt = String(Math.floor(Date.now() / 1000) - 60);
      await client.send(
        new PutItemCommand({ TableName: cloud.endpoints.tables.items!, Item: { id: { S: "ttl-expired" }, expiresAt: { N: expiresAt } } }),
      );
      const removal = () => received().find((record) => record.eventName === "REMOVE" && record.dynamodb?.Keys?.id?.S === "ttl-expired");
      await eventually(() => removal() !== undefined, 15_000, "the TTL sweeper's REMOVE to reach the consumer");
      expect(removal()!.userIdentity).toEqual({ type: "Service", principalId: "dynamodb.amazonaws.com" });
    } finally {
      client.destroy();
    }
  });
});

describe("the local cloud with host 0.0.0.0 (a phone on the same network)", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({ topology, stage: "wide", host: "0.0.0.0", ttlSweepIntervalMs: 0 });
  });
  afterAll(() => cloud?.stop());

  it("listens on every interface and still writes endpoints that work on this machine", async () => {
    expect(cloud.endpoints.websocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/wide$/);
    expect(cloud.endpoints.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const [service, port] of servicePorts(cloud)) {
      expect({ service, addresses: listeningAddresses(port).filter((address) => address !== "127.0.0.1") }).not.toEqual({
        service,
        addresses: [],
      });
      expect({ service, reachable: await accepts("127.0.0.1", port) }).toEqual({ service, reachable: true });
      const other = nonLoopbackAddress();
      if (other) expect({ service, reachableFromNetwork: await accepts(other, port) }).toEqual({ service, reachableFromNetwork: true });
    }
    const hello = await fetch(`${cloud.endpoints.httpApiUrl}/hello`);
    expect(await hello.json()).toEqual({ hello: "world" });
  });
});
