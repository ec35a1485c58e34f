/**
 * The demo simulator: makes the local cloud come alive with no other step.
 * It is a producer like any other backend: it only talks to the HTTP API
 * (score and advance with the operator key, join and jobs as demo fans), so it
 * exercises exactly the path a real producer takes.
 */

export interface SimulatorOptions {
  httpApiUrl: string;
  operatorKey: string;
  /** Milliseconds between score changes; queue advances and jobs are paced from it. */
  tickMs?: number;
  fetch?: typeof fetch;
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
} as const;

export function startSimulator(options: SimulatorOptions): Simulator {
  const http = options.fetch ?? fetch;
  const tickMs = options.tickMs ?? 3000;
  const log = options.log ?? (() => {});
  const scores = new Map<string, { home: number; away: number; quarter: number; seconds: number }>();
  let tick = 0;
  let demoFanToken: string | undefined;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  async function call(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await http(`${options.httpApiUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  }
  const asOperator = { "x-operator-key": options.operatorKey };

  async function fanToken(): Promise<string> {
    demoFanToken ??= (await call("POST", "/session", {})).token as string;
    return demoFanToken;
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
    await call("POST", `/games/${gameId}/score`, { home: state.home, away: state.away, period: `Q${state.quarter}`, clock, lastPlay }, asOperator);
  }

  async function queueActivity() {
    // A few fans join every tick; the queue admits a batch every other tick.
    const token = await fanToken();
    for (let i = 0; i < 3; i++) await call("POST", `/queues/${DEMO.queueEvent}/join`, {}, { authorization: `Bearer ${token}` });
    if (tick % 2 === 0) await call("POST", `/queues/${DEMO.queueEvent}/advance`, { by: 2 }, asOperator);
  }

  async function step() {
    tick += 1;
    try {
      await scoreChange(DEMO.games[tick % DEMO.games.length]!);
      await queueActivity();
      if (tick % 10 === 0) {
        await call("POST", "/jobs", { kind: "contest-report" }, { authorization: `Bearer ${await fanToken()}` });
      }
    } catch (error) {
      log(`demo: ${(error as Error).message} (the simulator keeps going; is the local cloud healthy?)`);
    }
  }

  const timer = setInterval(() => {
    if (!stopped) inFlight = inFlight.then(step);
  }, tickMs);
  inFlight = inFlight.then(step);
  log(`demo: scores on ${DEMO.games.map((g) => `game/${g}`).join(", ")} every ${tickMs / 1000} s, queue/${DEMO.queueEvent} advancing`);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
