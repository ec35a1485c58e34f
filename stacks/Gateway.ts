import type { CfnStage } from "aws-cdk-lib/aws-apigatewayv2";
import { Api, WebSocketApi, type StackContext } from "sst/constructs";
import { browserApiCors, physicalName, type ThrottleDecl } from "@pushgate/core/topology";
import { declared } from "./declared";

/** API Gateway access logs are kept as long as function logs, not forever. */
const accessLog = { retention: "two_weeks" } as const;

/**
 * The two front doors, the WebSocket API and the HTTP API, without their
 * handlers.
 *
 * They are a stack of their own, deployed first, because of one dependency
 * chain: the site is built with their URLs, the data bucket's CORS rule names
 * the site's origin, and the handlers need the bucket. An API's URL depends on
 * nothing but the API itself, so putting the bare APIs first lets every arrow
 * point one way (Gateway -> Web -> Storage -> Realtime). Realtime attaches the
 * routes from its own stack with `addRoutes(stack, ...)`.
 */
export function Gateway({ stack, app }: StackContext) {
  const websocket = new WebSocketApi(stack, "websocket", {
    accessLog,
    cdk: {
      webSocketApi: {
        apiName: physicalName(declared.app, app.stage, "websocket"),
        routeSelectionExpression: declared.websocket.routeSelectionExpression,
      },
    },
  });
  // SST's WebSocketApi gives execute-api:ManageConnections to every route it
  // will ever get. In pushgate only the fan-out consumers post to
  // connections, so that blanket grant is dropped here and Realtime grants it
  // per function from topology `grants.manageConnections`.
  // biome-ignore lint/complexity/useLiteralKeys: the field is private in SST's types; only bracket access reaches it.
  const blanketGrants: unknown = websocket["permissionsAttachedForAllRoutes"];
  if (!Array.isArray(blanketGrants)) {
    // SST v2 offers no public way to do this; if a new SST renames the field, stop rather than deploy the blanket grant.
    throw new Error(
      "SST's WebSocketApi no longer has permissionsAttachedForAllRoutes: the ManageConnections narrowing in stacks/Gateway.ts must be redone for this SST version",
    );
  }
  blanketGrants.length = 0;
  throttleStage(websocket.cdk.webSocketStage.node.defaultChild as CfnStage, declared.throttle?.websocket);

  const http = new Api(stack, "http", {
    accessLog,
    // `*` (see browserApiCors): it cannot name the site's origin anyway, the site is built after this API (see above).
    cors: {
      allowOrigins: [...browserApiCors.allowOrigins],
      allowMethods: [...browserApiCors.allowMethods],
      allowHeaders: [...browserApiCors.allowHeaders],
      exposeHeaders: [...browserApiCors.exposeHeaders],
      allowCredentials: browserApiCors.allowCredentials,
      maxAge: `${browserApiCors.maxAgeSeconds} seconds`,
    },
    cdk: { httpApi: { apiName: physicalName(declared.app, app.stage, "http") } },
  });
  throttleStage(http.cdk.httpApi.defaultStage!.node.defaultChild as CfnStage, declared.throttle?.http);

  stack.addOutputs({
    WebSocketUrl: websocket.url,
    HttpApiUrl: http.url,
  });

  return {
    websocket,
    http,
    /** `https://{api}.execute-api.{region}.amazonaws.com/{stage}`, where the fan-out posts. */
    managementEndpoint: websocket.cdk.webSocketStage.callbackUrl,
  };
}

/**
 * The stage's default route settings, so every route of the API is throttled
 * (topology `throttle` says why these numbers). Route-level settings would have
 * to name routes this stack does not have yet (Realtime adds them, and
 * CloudFormation refuses settings for a route key it cannot find), so the
 * per-route limits are the quotas in code.
 */
function throttleStage(stage: CfnStage, throttle: ThrottleDecl | undefined) {
  if (!throttle) return;
  stage.defaultRouteSettings = {
    ...(stage.defaultRouteSettings as object | undefined),
    throttlingRateLimit: throttle.rateLimit,
    throttlingBurstLimit: throttle.burstLimit,
  };
}
