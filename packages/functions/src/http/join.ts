/** `POST /queues/{eventId}/join` (fan): the fan's one place (the same one on every join); not pushed to anyone. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.joinQueue(request.header("authorization"), request.path("eventId")));
