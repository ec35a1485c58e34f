/** `PUT /games/{gameId}` (operator): the game's teams, start, status and clock; lists it on `games/all`. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) =>
  app.describeGame(request.header("x-operator-key"), request.path("gameId"), request.json()),
);
