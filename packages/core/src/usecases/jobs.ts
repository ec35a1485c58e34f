/**
 * Long jobs: `POST /jobs` stores a pending job and answers a presigned URL for
 * its result right away; the job worker (a stream consumer on INSERT pending)
 * computes the result, writes `results/{jobId}.json` and marks the job ready,
 * which bumps seq, so the jobs fan-out pushes `result-ready` to the owner.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { resultKey } from "../keys";
import type { ContestReport, CreateJobResponse, ReportedGame, ScoringPlay } from "../protocol";
import type { Clock, Game, GameStore, JobStore, ScoringEntry, SnapshotStore } from "../ports";
import type { Change } from "../stream";
import { CANARY_GAME_ID, topicName } from "../topics";
import { parseBody } from "../validate";

/** Results live 7 days in the bucket (topology `expire`); the job item goes with them. */
export const JOB_TTL_SECONDS = 7 * 24 * 3600;
const REPORT_GAMES_LIMIT = 100;

const CreateJobBody = z.strictObject({ kind: z.literal("contest-report") });

export async function createJob(
  deps: { jobs: JobStore; snapshots: SnapshotStore; clock: Clock },
  fanId: string,
  body: unknown,
): Promise<CreateJobResponse> {
  const { kind } = parseBody(CreateJobBody, body, `{"kind":"contest-report"}`);
  const now = new Date(deps.clock.now());
  const jobId = randomUUID();
  await deps.jobs.create({
    jobId,
    fanId,
    kind,
    status: "pending",
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    // seq 0: creating a job is no news; becoming ready (seq 1) is.
    seq: 0,
    expiresAt: Math.floor(now.getTime() / 1000) + JOB_TTL_SECONDS,
  });
  const { url } = await deps.snapshots.presignResult(jobId);
  return { jobId, resultUrl: url, topic: topicName("job", jobId) };
}

/**
 * The worker for one INSERT of a pending job. Idempotent: a re-delivered
 * record rewrites the same result and finds the job already ready.
 */
export async function runJob(
  deps: { jobs: JobStore; games: GameStore; snapshots: SnapshotStore; clock: Clock },
  change: Change,
): Promise<void> {
  const jobId = change.newImage?.jobId;
  if (typeof jobId !== "string") throw new Error("jobs record has no jobId in its NewImage; is the worker's event filter right?");
  const job = await deps.jobs.get(jobId);
  if (!job || job.status === "ready") return;
  // The canary's game is a probe, not a contest (topics.ts CANARY_GAME_ID).
  const games = (await deps.games.list(REPORT_GAMES_LIMIT)).filter((game) => game.gameId !== CANARY_GAME_ID);
  const report: ContestReport = {
    kind: "contest-report",
    generatedAt: new Date(deps.clock.now()).toISOString(),
    games: games.map(reportedGame),
  };
  await deps.snapshots.putResult(jobId, report);
  await deps.jobs.markReady(jobId, resultKey(jobId), new Date(deps.clock.now()).toISOString());
}

function reportedGame(game: Game): ReportedGame {
  const { gameId, home, away, period, teams, status, startsAt } = game;
  return {
    gameId,
    home: teams?.home ?? { name: "Home" },
    away: teams?.away ?? { name: "Away" },
    ...(status !== undefined && { status }),
    ...(startsAt !== undefined && { startsAt }),
    score: { home, away },
    ...(period !== undefined && { period }),
    leader: home > away ? "home" : home < away ? "away" : "tied",
    scoring: scoringPlays(game.timeline ?? []),
  };
}

/** Each timeline entry as the play it was: who scored and how many points, from the score before it. */
export function scoringPlays(timeline: readonly ScoringEntry[]): ScoringPlay[] {
  const plays: ScoringPlay[] = [];
  let before = { home: 0, away: 0 };
  for (const entry of timeline) {
    const homeGain = entry.home - before.home;
    const awayGain = entry.away - before.away;
    // One side scores per play; if a producer changed both at once, the bigger change is the play.
    const team = Math.abs(homeGain) >= Math.abs(awayGain) ? "home" : "away";
    plays.push({
      at: entry.at,
      ...(entry.period !== undefined && { period: entry.period }),
      ...(entry.clock !== undefined && { clock: entry.clock }),
      team,
      points: team === "home" ? homeGain : awayGain,
      home: entry.home,
      away: entry.away,
      ...(entry.play !== undefined && { play: entry.play }),
    });
    before = entry;
  }
  return plays;
}
