/** `POST /jobs` (fan), body `{ kind: "contest-report" }`: a pending job and the presigned URL of its result. */
import { httpRoute } from "../edge";

export const handler = httpRoute((request, app) => app.createJob(request.header("authorization"), request.json()), 202);
