/** `$connect`: the token offered as subprotocol `token.<jwt>` is verified; the answer picks `pushgate.v1`. */
import { header, wsLifecycle } from "../edge";

export const handler = wsLifecycle(async (event, app) => {
  const { subprotocol } = await app.connect(event.requestContext.connectionId, header(event.headers, "sec-websocket-protocol"));
  return { statusCode: 200, headers: { "Sec-WebSocket-Protocol": subprotocol } };
});
