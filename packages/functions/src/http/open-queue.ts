/** `PUT /queues/{eventId}` (operator), body `{ name, opensAt, admitPerMinute?, admissionTtlSeconds?, saleUrl? }`: creates or updates a queue. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) =>
  app.openQueue(request.header("x-operator-key"), request.path("eventId"), request.json()),
);
