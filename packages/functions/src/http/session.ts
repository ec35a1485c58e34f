/** `POST /session`: an anonymous fan token (counted per source address); send the previous one as Bearer to renew it, once, for the same fan. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.startSession(request.header("authorization"), request.sourceIp()));
