/** `GET /snapshots?topics=game/g1,queue/e1` (fan): presigned snapshot URLs for a client whose socket is down. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.snapshotsFor(request.header("authorization"), request.query("topics")));
