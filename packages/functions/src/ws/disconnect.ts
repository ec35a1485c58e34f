/** `$disconnect` (best effort on AWS): the connection and its subscriptions go. */
import { wsLifecycle } from "../edge";

export const handler = wsLifecycle(async (event, app) => {
  await app.disconnect(event.requestContext.connectionId);
  return { statusCode: 200 };
});
