/**
 * Topic grammar and per-topic authorization (docs/protocol.md, "Topics"):
 * `game/{gameId}` carries score-update, `queue/{eventId}` queue-position,
 * `job/{jobId}` result-ready, which only the job's owner may subscribe to,
 * and `games/all` the game-list.
 */
import { PushgateError } from "./errors";
import { GAME_LIST_TOPIC, KIND_OF_TOPIC_TYPE, type MessageKind, type TopicName, type TopicType } from "./wire";

export type { TopicType };

export interface Topic {
  /** The full name, e.g. `game/g1`. */
  name: string;
  type: TopicType;
  id: string;
  kind: MessageKind;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const TOPIC_PATTERN = /^(game|queue|job|games)\/([A-Za-z0-9_-]{1,64})$/;

export const isValidId = (id: string): boolean => ID_PATTERN.test(id);

/** Parse a topic name; INVALID_TOPIC says what the grammar is. */
export function parseTopic(name: string): Topic {
  const match = TOPIC_PATTERN.exec(name);
  if (!match) {
    const shown = JSON.stringify(name.slice(0, 80));
    throw new PushgateError(
      "INVALID_TOPIC",
      `${shown} is not a topic; use game/{id}, queue/{id} or job/{id} with an id of 1-64 letters, digits, _ or -, or ${GAME_LIST_TOPIC}`,
    );
  }
  const type = match[1] as TopicType;
  if (type === "games" && name !== GAME_LIST_TOPIC) {
    throw new PushgateError("INVALID_TOPIC", `${JSON.stringify(name)} is not a topic; the one list of games is ${GAME_LIST_TOPIC}`);
  }
  return { name, type, id: match[2]!, kind: KIND_OF_TOPIC_TYPE[type] };
}

/** Validate an id taken from a path, with the same grammar as topic ids. */
export function requireId(what: string, id: string | undefined): string {
  if (id === undefined || !isValidId(id)) {
    throw new PushgateError("BAD_REQUEST", `${what} must be 1-64 letters, digits, _ or -`);
  }
  return id;
}

/**
 * The item of the games table that holds the list of games (`games/all`), one
 * attribute per listed game. Its id is reserved: no operator writes a game by it.
 */
export const GAME_LIST_ITEM_ID = "_list";

/** The list item's attribute of one listed game is this prefix and the game's id; its value a GameSummary. */
export const LISTED_GAME_PREFIX = "listed:";

/** The listed games of the list item (or of its stream image), unchecked. */
export function listedGamesOf(item: Record<string, unknown> | undefined): unknown[] {
  if (!item) return [];
  return Object.entries(item)
    .filter(([name]) => name.startsWith(LISTED_GAME_PREFIX))
    .map(([, summary]) => summary);
}

/** A game id from a path, refusing the list's own item. */
export function requireGameId(gameId: string | undefined): string {
  const id = requireId("gameId", gameId);
  if (id === GAME_LIST_ITEM_ID)
    throw new PushgateError("BAD_REQUEST", `gameId ${GAME_LIST_ITEM_ID} is reserved for the list of games; use another id`);
  return id;
}

export const topicName = <T extends TopicType>(type: T, id: string): TopicName<T> => `${type}/${id}`;

/**
 * The canary's own game (usecases/canary.ts). Fans cannot subscribe to it or
 * read its snapshot: its updates every minute are nobody's news, and a fan
 * listening to it would skew what the canary measures. Only a session issued
 * to CANARY_FAN_ID (which POST /session never issues: its fan ids are UUIDs)
 * may; the operator may still write to it, as to any game.
 */
export const CANARY_GAME_ID = "_canary";
export const CANARY_FAN_ID = "pushgate-canary";
export const CANARY_TOPIC = topicName("game", CANARY_GAME_ID);

/** Who owns a job; undefined when there is no such job. */
export interface JobOwnerLookup {
  jobOwner(jobId: string): Promise<string | undefined>;
}

/**
 * May this fan subscribe to (or read the snapshot of) this topic? Games and
 * queues are public; a job only for its owner. A job that does not exist is
 * refused the same way as another fan's, so job ids cannot be probed. The
 * canary's topic only for the canary.
 */
export async function authorizeTopic(topic: Topic, fanId: string, jobs: JobOwnerLookup): Promise<void> {
  if (topic.name === CANARY_TOPIC && fanId !== CANARY_FAN_ID) {
    throw new PushgateError("FORBIDDEN", `${topic.name} is the canary's own topic, not a game fans follow; subscribe to another game`);
  }
  if (topic.type !== "job") return;
  const owner = await jobs.jobOwner(topic.id);
  if (owner !== fanId) {
    throw new PushgateError("FORBIDDEN", `${topic.name} is not your job; subscribe to jobs you created with POST /jobs`);
  }
}
