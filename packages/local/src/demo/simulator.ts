/**
 * The demo simulator: makes the local cloud come alive with no other step.
 * It is a producer like any other backend: it only talks to the HTTP API
 * (score and queue settings with the operator key, sessions, joins and jobs
 * as demo fans), so it exercises exactly the path a real producer takes.
 *
 * The waiting room: it opens queue e1 a minute and a half after start, so
 * fans (demo ones and you) gather in the pre-queue and are drawn at opening;
 * new fans keep arriving and the scheduler admits them at admitPerMinute.
 * Its own fan session is renewed before it expires, so it runs for hours.
 */

export interface SimulatorOptions {
  httpApiUrl: string;
  operatorKey: string;
  /** Milliseconds between score changes; queue arrivals and jobs are paced from it. */
  tickMs?: number;
  /** How long after start the demo queue opens (when it was not opened by an earlier run). */
  queueOpensInMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  log?: (line: string) => void;
}

export interface Simulator {
  stop(): Promise<void>;
}

const PLAYS = [
  "Touchdown! 12-yard pass to the corner of the end zone",
  "Field goal from 41 yards, right down the middle",
  "Interception returned to midfield",
  "Sack on third down, punt coming",
  "Two-point conversion is good",
  "Fumble recovered at the 20",
];

export const DEMO = {
  games: ["g1", "g2"],
  queueEvent: "e1",
  queueName: "The Finals, Wembley, 21 June",
  /** About as many fans arrive per minute (one or two per tick at the default 3 s). */
  admitPerMinute: 30,
} as const;

/** Renew a session this long before it expires (the server allows renewal with the old token). */
const RENEW_BEFORE_MS = 2 * 60_000;

export function startSimulator(options: SimulatorOptions): Simulator {
  const http = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? 3000;
  const log = options.log ?? (() => {});
  const scores = new Map<string, { home: number; away: number; quarter: number; seconds: number }>();
  let tick = 0;
  let demoFan: { token: string; expiresAt: number } | undefined;
  let queueReady = false;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  async function call(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await http(`${options.httpApiUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
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

  async function scoreChange(gameId: string) {
    const state = scores.get(gameId) ?? { home: 0, away: 0, quarter: 1, seconds: 15 * 60 };
    const points = [7, 3, 2, 6, 0][Math.floor(Math.random() * 5)]!;
    if (Math.random() < 0.5) state.home += points;
    else state.away += points;
    state.seconds -= 47;
    if (state.seconds <= 0) {
      state.quarter = state.quarter >= 4 ? 1 : state.quarter + 1;
      state.seconds = 15 * 60;
    }
    scores.set(gameId, state);
    const clock = `${String(Math.floor(state.seconds / 60)).padStart(2, "0")}:${String(state.seconds % 60).padStart(2, "0")}`;
    const lastPlay = PLAYS[Math.floor(Math.random() * PLAYS.length)]!;
    await call(
      "POST",
      `/games/${gameId}/score`,
      { home: state.home, away: state.away, period: `Q${state.quarter}`, clock, lastPlay },
      asOperator,
    );
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
      await scoreChange(DEMO.games[tick % DEMO.games.length]!);
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
    `demo: scores on ${DEMO.games.map((g) => `game/${g}`).join(", ")} every ${tickMs / 1000} s, queue/${DEMO.queueEvent} admitting ${DEMO.admitPerMinute}/min`,
  );

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
