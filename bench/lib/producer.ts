/**
 * The producer: `POST /games/{gameId}/score` with the operator key, as an
 * operator's backend would. The request start is the zero of every latency.
 */
import { epochMs } from "./clock";

export interface Publication {
  seq: number;
  /** Epoch ms just before the request was sent. */
  startedAt: number;
  /** Epoch ms when the HTTP API answered (the games table write is done). */
  answeredAt: number;
  home: number;
  away: number;
}

export interface Producer {
  publish(home: number, away: number, lastPlay?: string): Promise<Publication>;
}

export function scoreProducer(httpApiUrl: string, operatorKey: string, gameId: string): Producer {
  return {
    async publish(home, away, lastPlay) {
      const startedAt = epochMs();
      const response = await fetch(`${httpApiUrl}/games/${gameId}/score`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-operator-key": operatorKey },
        body: JSON.stringify({ home, away, period: "Q4", clock: "02:00", ...(lastPlay && { lastPlay }) }),
      });
      const answeredAt = epochMs();
      const text = await response.text();
      if (!response.ok) throw new Error(`POST /games/${gameId}/score answered ${response.status}: ${text}`);
      const { seq } = JSON.parse(text) as { seq: number };
      return { seq, startedAt, answeredAt, home, away };
    },
  };
}
