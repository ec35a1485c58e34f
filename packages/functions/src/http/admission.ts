/** `POST /queues/{eventId}/admission` (fan): a signed admission token once admitted; 409 NOT_YET with peopleAhead before. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.admit(request.header("authorization"), request.path("eventId")));
