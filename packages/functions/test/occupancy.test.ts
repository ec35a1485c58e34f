/**
 * Occupancy through the local cloud: fans subscribe to a game and every fan of
 * it is pushed how many are watching (the subscriptions stream -> watchersTally
 * -> the counters and the game's item -> gamesFanout); fans leaving make it
 * fall; two deletes of one subscription (a `$disconnect` and a fan-out's 410
 * cleanup racing) and a repeated subscribe count once; the snapshot carries the
 * count for polling fans; a change before its push is due is carried by the
 * next score update and pushed by the heartbeat schedule. The counters are read
 * back from DynamoDB Local and never go negative.
 */
import { BatchWriteCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { MessageFrame, ScoreData, ServerFrame, SessionResponse, SubscribedFrame } from "@pushgate/core/protocol";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminDocumentClient, callHttpApi, sourceGame } from "./clients";
import { connectFan, type Fan } from "./fan";

/** Each function cold-starts in its own sandbox; on a busy shared machine (load 20 on 2 cores) that takes minutes. */
const SLOW = 300_000;
let cloud: LocalCloud;
const fans: Fan[] = [];
const fanIds = new Map<Fan, string>();

beforeAll(async () => {
  // A short interval between count pushes, so the test sees several without waiting 5 s for each.
  cloud = await startLocalCloud({ environment: { POWERTOOLS_LOG_LEVEL: "SILENT", PUSHGATE_WATCHING_INTERVAL_MS: "300" } });
});

afterAll(async () => {
  await Promise.all(fans.map((fan) => fan.close()));
  await cloud?.stop();
});

async function fan(): Promise<Fan> {
  const { token, fanId } = (await callHttpApi(cloud, "POST", "/session", { body: {} })).body as SessionResponse;
  const connected = await connectFan(cloud.endpoints.websocketUrl, token);
  fans.push(connected);
  fanIds.set(connected, fanId);
  return connected;
}

let ids = 0;
const subscribe = async (who: Fan, topic: string) =>
  (await who.request({ action: "subscribe", id: `r${++ids}`, topics: [topic] })) as SubscribedFrame;
const watching =
  (topic: string, count: number) =>
  (frame: ServerFrame): frame is MessageFrame<"score-update"> =>
    frame.type === "message" && frame.topic === topic && (frame.data as ScoreData).watching === count;

/** The first frame from `mark` on (frames before it were received earlier) that matches. */
const nextFrom = <T extends ServerFrame>(who: Fan, mark: number, match: (frame: ServerFrame) => frame is T) =>
  who.next((frame): frame is T => who.frames.indexOf(frame) >= mark && match(frame));

async function counters(gameId: string): Promise<number[]> {
  const db = adminDocumentClient(cloud);
  const { Items = [] } = await db.send(
    new ScanCommand({
      TableName: cloud.endpoints.tables.watchers!,
      FilterExpression: "gameId = :gameId",
      ExpressionAttributeValues: { ":gameId": gameId },
      ConsistentRead: true,
    }),
  );
  db.destroy();
  return Items.map((item) => item.count as number);
}

describe("how many fans watch a game", () => {
  it(
    "pushes the count as fans arrive and leave, counts a subscription deleted twice once, and never goes below zero",
    async () => {
      const gameId = "occ-1";
      const topic = `game/${gameId}`;
      const put = await callHttpApi(cloud, "PUT", `/games/${gameId}`, {
        operator: true,
        body: {
          home: { name: "Hawks", shortName: "HAW", colour: "#1f6feb" },
          away: { name: "Bears", shortName: "BEA", colour: "#d1242f" },
          startsAt: "2026-06-21T18:00:00Z",
          status: "live",
        },
      });
      expect(put.status).toBe(200);

      const viewer = await fan();
      const ack = await subscribe(viewer, topic);
      const others: Fan[] = [];
      for (let i = 0; i < 4; i++) {
        const other = await fan();
        await subscribe(other, topic);
        others.push(other);
      }
      const five = await viewer.next(watching(topic, 5));
      expect(five.data).toMatchObject({ home: 0, away: 0, status: "live", watching: 5 });

      // Two leave ($disconnect deletes their subscriptions): the count falls.
      const beforeLeaving = viewer.frames.length;
      await others[0]!.close();
      await others[1]!.close();
      await nextFrom(viewer, beforeLeaving, watching(topic, 3));

      // One subscription deleted twice, as a $disconnect and a fan-out's 410 cleanup racing: one REMOVE, one fewer.
      const leaver = others[2]!;
      // A repeated subscribe rewrites the item (a MODIFY at most), which counts nothing.
      expect((await subscribe(leaver, topic)).topics[0]?.topic).toBe(topic);
      const key = await subscriptionKey(leaver, topic);
      const db = adminDocumentClient(cloud);
      const deleteTwice = [0, 1].map(() =>
        db.send(new BatchWriteCommand({ RequestItems: { [cloud.endpoints.tables.subscriptions!]: [{ DeleteRequest: { Key: key } }] } })),
      );
      const beforeDeletes = viewer.frames.length;
      await Promise.all(deleteTwice);
      db.destroy();
      const two = await nextFrom(viewer, beforeDeletes, watching(topic, 2));
      await cloud.drained();
      const counted = await counters(gameId);
      expect(counted.reduce((sum, count) => sum + count, 0)).toBe(2);
      for (const count of counted) expect(count).toBeGreaterThanOrEqual(0);
      // The second delete took nothing more: no count below 2 followed.
      const afterTwo = viewer.frames.slice(viewer.frames.indexOf(two) + 1);
      expect(afterTwo.filter((frame) => frame.type === "message" && ((frame.data as ScoreData).watching ?? 2) < 2)).toEqual([]);

      // A fan polling the snapshot sees the count too.
      const snapshot = (await (await fetch(ack.topics[0]!.snapshotUrl)).json()) as MessageFrame<"score-update">;
      expect(snapshot.seq).toBeGreaterThanOrEqual(two.seq);
      expect(snapshot.data.watching).toBe(2);

      // A score update carries the latest count, whoever caused it.
      await callHttpApi(cloud, "POST", `/games/${gameId}/score`, { operator: true, body: { home: 3, away: 0 } });
      const scored = await viewer.next(
        (frame): frame is MessageFrame => frame.type === "message" && frame.topic === topic && (frame.data as ScoreData).home === 3,
      );
      expect((scored.data as ScoreData).watching).toBe(2);

      // A change before the push is due (here: the last push stamped 5 minutes ahead, past what the tally or the
      // minute's heartbeat waits for; a big game's interval is that long) is
      // carried on the item, not pushed; the next score update carries it, and the heartbeat pushes it once due.
      const games = adminDocumentClient(cloud);
      const stamp = (at: number) =>
        games.send(
          new UpdateCommand({
            TableName: cloud.endpoints.tables.games!,
            Key: { gameId },
            UpdateExpression: "SET watchingAt = :at",
            ExpressionAttributeValues: { ":at": at },
          }),
        );
      await stamp(Date.now() + 5 * 60_000);
      const seen = viewer.frames.length;
      const late = await fan();
      await subscribe(late, topic);
      await cloud.drained();
      expect(await sourceGame(cloud, gameId)).toMatchObject({ watching: 3, watchingPushed: 2 });
      expect(viewer.frames.slice(seen).some(watching(topic, 3))).toBe(false);
      await callHttpApi(cloud, "POST", `/games/${gameId}/score`, { operator: true, body: { home: 6, away: 0 } });
      const carried = await viewer.next(
        (frame): frame is MessageFrame => frame.type === "message" && frame.topic === topic && (frame.data as ScoreData).home === 6,
      );
      expect((carried.data as ScoreData).watching).toBe(3);
      await stamp(Date.now() - 1_000);
      await cloud.runSchedule("watchingHeartbeat");
      await cloud.drained();
      expect(await sourceGame(cloud, gameId)).toMatchObject({ watching: 3, watchingPushed: 3 });
      games.destroy();
    },
    SLOW,
  );

  it(
    "publishes no count for a game the operator never described: a made-up id gets no item, a scored-only game keeps its seq",
    async () => {
      await callHttpApi(cloud, "POST", "/games/occ-scored/score", { operator: true, body: { home: 1, away: 0 } });
      const somebody = await fan();
      await subscribe(somebody, "game/occ-nobody");
      await subscribe(somebody, "game/occ-scored");
      await cloud.drained();
      expect(await sourceGame(cloud, "occ-nobody")).toBeUndefined();
      const scored = await sourceGame(cloud, "occ-scored");
      expect(scored?.seq).toBe(1);
      expect(scored).not.toHaveProperty("watching");
      // Counted all the same: once the game is described, its next arrival or departure publishes the whole count.
      expect(await counters("occ-nobody")).toEqual([1]);
      expect(await counters("occ-scored")).toEqual([1]);
    },
    SLOW,
  );
});

/** The key of a fan's subscription item, found by its fan id (a test may scan; the code never does). */
async function subscriptionKey(who: Fan, topic: string): Promise<{ topicShard: string; connectionId: string }> {
  const db = adminDocumentClient(cloud);
  const { Items = [] } = await db.send(
    new ScanCommand({
      TableName: cloud.endpoints.tables.subscriptions!,
      FilterExpression: "fanId = :fanId AND topic = :topic",
      ExpressionAttributeValues: { ":fanId": fanIds.get(who), ":topic": topic },
      ConsistentRead: true,
    }),
  );
  db.destroy();
  expect(Items).toHaveLength(1);
  return { topicShard: Items[0]!.topicShard as string, connectionId: Items[0]!.connectionId as string };
}
