export { startHttpApi } from "./http-api";
export type { HttpApi, HttpApiOptions } from "./http-api";
export { DEFAULT_CORS_ALLOW_HEADERS } from "./cors";
export type { CorsConfig } from "./cors";
export { createRouteTable } from "./route-table";
export type { RouteMatch } from "./route-table";
export { mapHandlerResult } from "./result-mapping";
export type { HttpResponse } from "./result-mapping";
export { isTextContentType } from "./events";
