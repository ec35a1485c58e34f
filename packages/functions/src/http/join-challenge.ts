/** `GET /queues/{eventId}/challenge` (fan): a signed, short-lived proof-of-work challenge for this fan and event. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.joinChallenge(request.header("authorization"), request.path("eventId")));
