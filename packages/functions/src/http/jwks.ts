/** `GET /.well-known/jwks.json` (no auth): the public keys a sale verifies admission tokens with. */
import { httpRoute } from "../edge";

export const handler = httpRoute((_request, app) => app.admissionKeys());
