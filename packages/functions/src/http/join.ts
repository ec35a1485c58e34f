/** `POST /queues/{eventId}/join` (fan): a ticket number; not pushed to anyone. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.joinQueue(request.header("authorization"), request.path("eventId")));
