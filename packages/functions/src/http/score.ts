/** `POST /games/{gameId}/score` (operator): one write to the games table; the stream pushes `score-update`. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) =>
  app.recordScore(request.header("x-operator-key"), request.path("gameId"), request.json()),
);
