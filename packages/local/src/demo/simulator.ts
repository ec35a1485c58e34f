/**
 * The demo simulator: makes the local cloud come alive with no other step.
 * It is a producer like any other backend: it only talks to the HTTP API
 * (score and queue settings with the operator key, sessions, joins and jobs
 * as demo fans), so it exercises exactly the path a real producer takes.
 *
 * The games: two slots, each playing believable football (football.ts):
 * described with PUT /games/{id} (teams, kick-off, status, a running clock),
 * scored with POST /games/{id}/score, four quarters and half-time, a final
 * whistle, then the next game of that slot is scheduled and the finished one
 * unlisted. Games of an earlier run still listed are unlisted at start.
 *
 * The waiting room: it opens queue e1 a minute and a half after start, so
 * fans (demo ones and you) gather in the pre-queue and are drawn at opening;
 * new fans keep arriving and the scheduler admits them at admitPerMinute.
 * Its own fan session is renewed before it expires, so it runs for hours.
 */

import { formatClock, GAME_LIST_TOPIC, type GameListData, type TeamInfo } from "@pushgate/core/wire";
import { DEMO_TEAMS, phaseAt, ROUTINE_PLAYS, scoringPlay, type FootballTiming, type GamePhase } from "./football";

export interface SimulatorOptions {
  httpApiUrl: string;
  operatorKey: string;
  /** Milliseconds between score changes; queue arrivals and jobs are paced from it. */
  tickMs?: number;
  /** How long after start the demo queue opens (when it was not opened by an earlier run). */
  queueOpensInMs?: number;
  /** Game length (football.ts); the defaults make a game of about 13 minutes. */
  timing?: Partial<FootballTiming>;
  /** How long a final stays on the list before the slot's next game is scheduled, and how long after that it kicks off. */
  finalHoldMs?: number;
  nextKickoffInMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** In [0, 1): injected so a test can play a game deterministically. */
  random?: () => number;
  log?: (line: string) => void;
}

export interface Simulator {
  stop(): Promise<void>;
}

export const DEMO = {
  /** Game ids are this prefix, the run's start (base 36) and a number, so a restart never reuses a finished game's item. */
  gamePrefix: "demo-",
  /** Two games at a time: the first kicks off at start, the second this long after. */
  secondKickoffInMs: 3 * 60_000,
  queueEvent: "e1",
  queueName: "The Finals, Wembley, 21 June",
  /** About as many fans arrive per minute (one or two per tick at the default 3 s). */
  admitPerMinute: 30,
} as const;

/** Renew a session this long before it expires (the server allows renewal with the old token). */
const RENEW_BEFORE_MS = 2 * 60_000;
/** Chance that a live game's step (one every two ticks) is a scoring play: about eight scores in a game of 3-minute quarters at 3 s ticks. */
const SCORING_CHANCE = 0.07;

interface Slot {
  gameId: string;
  kickoffMs: number;
  home: TeamInfo;
  away: TeamInfo;
  score: { home: number; away: number };
  /** status and period last described, so a PUT goes out only when they change. */
  described?: string;
  /** When the game's final was first seen. */
  finalAt?: number;
}

export function startSimulator(options: SimulatorOptions): Simulator {
  const http = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? 3000;
  const log = options.log ?? (() => {});
  const random = options.random ?? Math.random;
  const timing: FootballTiming = { quarterSeconds: 180, halftimeSeconds: 60, ...options.timing };
  const finalHoldMs = options.finalHoldMs ?? 60_000;
  const nextKickoffInMs = options.nextKickoffInMs ?? 2 * 60_000;
  const runId = `${DEMO.gamePrefix}${now().toString(36)}`;
  let gamesMade = 0;
  let teamsUsed = 0;
  const slots: Slot[] = [];
  let gamesReady = false;
  let tick = 0;
  let demoFan: { token: string; expiresAt: number } | undefined;
  let queueReady = false;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  async function call(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await http(`${options.httpApiUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw Object.assign(new Error(`${method} ${path} answered ${response.status}: ${text}`), { status: response.status });
    return JSON.parse(text) as Record<string, unknown>;
  }
  const asOperator = { "x-operator-key": options.operatorKey };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** The simulator's own fan (for reports), renewed for the same fan before its token expires. */
  async function fanToken(): Promise<string> {
    if (!demoFan || demoFan.expiresAt - RENEW_BEFORE_MS < now()) {
      const session = await call("POST", "/session", {}, demoFan ? bearer(demoFan.token) : {}).catch((error: { status?: number }) => {
        // The session reached its absolute lifetime (or was revoked): a new fan, as a real page does.
        if (error.status === 401) return call("POST", "/session", {});
        throw error;
      });
      demoFan = { token: session.token as string, expiresAt: Date.parse(session.expiresAt as string) };
    }
    return demoFan.token;
  }

  /** A report every 10 ticks; past the per-fan job quota (429) the next one comes from a new fan. */
  async function requestReport() {
    try {
      await call("POST", "/jobs", { kind: "contest-report" }, bearer(await fanToken()));
    } catch (error) {
      if ((error as { status?: number }).status !== 429) throw error;
      demoFan = undefined;
    }
  }

  function newGame(kickoffMs: number): Slot {
    const home = DEMO_TEAMS[teamsUsed++ % DEMO_TEAMS.length]!;
    const away = DEMO_TEAMS[teamsUsed++ % DEMO_TEAMS.length]!;
    return { gameId: `${runId}-${++gamesMade}`, kickoffMs, home, away, score: { home: 0, away: 0 } };
  }

  /** Unlists the games an earlier run left on the list (they would sit there, frozen), then starts two. */
  async function setUpGames() {
    const { token } = await call("POST", "/session", {});
    const snapshots = await call("GET", `/snapshots?topics=${GAME_LIST_TOPIC}`, undefined, bearer(token as string));
    const url = (snapshots.snapshots as { url: string }[] | undefined)?.[0]?.url;
    const listed = url ? await http(url) : undefined;
    if (listed?.ok) {
      const frame = (await listed.json()) as { data?: GameListData };
      for (const game of frame.data?.games ?? []) {
        if (game.gameId.startsWith(DEMO.gamePrefix)) await unlist(game.gameId);
      }
    } else await listed?.arrayBuffer();
    slots.push(newGame(now()), newGame(now() + DEMO.secondKickoffInMs));
    gamesReady = true;
  }

  async function unlist(gameId: string) {
    await call("DELETE", `/games/${gameId}`, undefined, asOperator).catch((error: { status?: number }) => {
      if (error.status !== 404) throw error;
    });
  }

  /** One step of one game: describe it when its status or period changed, then a play (or a score). */
  async function playGame(index: number) {
    const slot = slots[index]!;
    const phase = phaseAt(slot.kickoffMs, now(), timing);
    if (phase.status === "final") {
      slot.finalAt ??= now();
      if (now() - slot.finalAt >= finalHoldMs) {
        // The final whistle was a while ago: the slot's next game is scheduled, the finished one unlisted.
        const next = newGame(now() + nextKickoffInMs);
        slots[index] = next;
        await unlist(slot.gameId);
        await describe(next, phaseAt(next.kickoffMs, now(), timing));
        log(`demo: game/${next.gameId} (${next.home.name} vs ${next.away.name}) kicks off at ${new Date(next.kickoffMs).toISOString()}`);
        return;
      }
    }
    const key = `${phase.status} ${phase.period}`;
    if (slot.described !== key) await describe(slot, phase);
    if (phase.status !== "live") return;
    let lastPlay = ROUTINE_PLAYS[Math.floor(random() * ROUTINE_PLAYS.length)]!;
    if (random() < SCORING_CHANCE) {
      const side = random() < 0.5 ? "home" : "away";
      const { points, play } = scoringPlay(slot[side].name, random);
      slot.score[side] += points;
      lastPlay = play;
    }
    await call(
      "POST",
      `/games/${slot.gameId}/score`,
      { ...slot.score, period: phase.period, clock: formatClock(phase.secondsLeft), lastPlay },
      asOperator,
    );
  }

  async function describe(slot: Slot, phase: GamePhase) {
    await call(
      "PUT",
      `/games/${slot.gameId}`,
      {
        home: slot.home,
        away: slot.away,
        startsAt: new Date(slot.kickoffMs).toISOString(),
        status: phase.status,
        clock: { period: phase.period, secondsLeft: phase.secondsLeft, running: phase.status === "live" },
      },
      asOperator,
    );
    slot.described = `${phase.status} ${phase.period}`;
  }

  /** Opens the demo queue once; a queue an earlier run opened (409: its draw is done) is kept as it is. */
  async function openDemoQueue() {
    const opensAt = new Date(now() + (options.queueOpensInMs ?? 90_000)).toISOString();
    try {
      await call("PUT", `/queues/${DEMO.queueEvent}`, { name: DEMO.queueName, opensAt, admitPerMinute: DEMO.admitPerMinute }, asOperator);
      log(`demo: queue/${DEMO.queueEvent} opens at ${opensAt}; fans arriving before then are drawn in random order`);
    } catch (error) {
      if ((error as { status?: number }).status !== 409) throw error;
      log(`demo: queue/${DEMO.queueEvent} is already open (from an earlier run); fans keep arriving`);
    }
    queueReady = true;
  }

  async function queueActivity() {
    if (!queueReady) await openDemoQueue();
    // One or two new fans a tick, each a session of its own (a fan holds one place).
    for (let i = 0; i < 1 + (tick % 2); i++) {
      const { token } = await call("POST", "/session", {});
      await call("POST", `/queues/${DEMO.queueEvent}/join`, {}, bearer(token as string));
    }
  }

  async function step() {
    tick += 1;
    try {
      if (!gamesReady) await setUpGames();
      await playGame(tick % slots.length);
      await queueActivity();
      if (tick % 10 === 0) await requestReport();
    } catch (error) {
      log(`demo: ${(error as Error).message} (the simulator keeps going; is the local cloud healthy?)`);
    }
  }

  const timer = setInterval(() => {
    if (!stopped) inFlight = inFlight.then(step);
  }, tickMs);
  inFlight = inFlight.then(step);
  log(
    `demo: two football games at a time on ${GAME_LIST_TOPIC} (a play every ${(2 * tickMs) / 1000} s each), queue/${DEMO.queueEvent} admitting ${DEMO.admitPerMinute}/min`,
  );

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
