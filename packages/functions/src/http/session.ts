/** `POST /session`: an anonymous fan token; send the previous one as Bearer to renew it for the same fan. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.startSession(request.header("authorization")));
