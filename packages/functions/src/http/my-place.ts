/** `GET /queues/{eventId}/me` (fan): the place of a fan who joined, for a reloaded page or another tab. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.myPlace(request.header("authorization"), request.path("eventId")));
