/**
 * `POST /queues/{eventId}/join` (fan), body empty or `{ challenge, nonce }` when the queue asks a proof of
 * work: the fan's one place (the same one on every join); not pushed to anyone.
 */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.joinQueue(request.header("authorization"), request.path("eventId"), request.json()));
