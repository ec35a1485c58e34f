/** `POST /queues/{eventId}/advance` (operator), body `{ by }`: one write, capped at the last ticket; the stream pushes `queue-position`. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) =>
  app.advanceQueue(request.header("x-operator-key"), request.path("eventId"), request.json()),
);
