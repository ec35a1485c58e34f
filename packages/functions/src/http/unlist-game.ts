/** `DELETE /games/{gameId}` (operator): takes the game off `games/all`; its topic and score stay. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.unlistGame(request.header("x-operator-key"), request.path("gameId")));
