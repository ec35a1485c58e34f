import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { useProject } from "sst/project.js";
import { beforeEach, expect, it } from "vitest";
import { declared } from "../declared";
import { Realtime } from "../Realtime";
import type { Synthesized } from "./synth";
import { actionsOf, type Views } from "./templates";

/**
 * What the SST app deploys, one test per concern, each with literal expected
 * values, so a changed property fails here. topology-walk.ts checks the same
 * templates against topology.ts itself. Registered by stacks.test.ts, which
 * makes the one synthesis both suites read.
 */

const importOf = (stack: string) => ({ "Fn::ImportValue": Match.stringLikeRegexp(`^test-pushgate-${stack}:`) });

/** Registers the tests; `get` hands over the one synthesis the test file made. */
export function deployedResources(get: () => { synth: Synthesized; view: Views }) {
  let synth: Synthesized;
  let view: Views;
  beforeEach(() => ({ synth, view } = get()));

  it("cdk-nag's AwsSolutions and Serverless packs find nothing that is not suppressed with a reason", () => {
    // The packs ran: these are reported, and accepted in stacks/nag-suppressions.ts.
    expect([...synth.nag.suppressed]).toEqual(expect.arrayContaining(["AwsSolutions-IAM5", "AwsSolutions-APIG4", "Serverless-LambdaDLQ"]));
    expect(
      synth.nag.findings.map((finding) => `${finding.rule} ${finding.path}${finding.error ? ` (rule failed: ${finding.error})` : ""}`),
    ).toEqual([]);
  });

  it("requires TLS on every bucket and topic, and the site is read through origin access control", () => {
    const deniesPlainHttp = (stack: "web" | "storage" | "realtime", type: string) =>
      view
        .resourcesOf(stack, type)
        .map(([, policy]) =>
          (policy.Properties.PolicyDocument.Statement as { Effect: string; Condition?: Record<string, Record<string, string>> }[]).some(
            (statement) => statement.Effect === "Deny" && statement.Condition?.Bool?.["aws:SecureTransport"] === "false",
          ),
        );
    expect(deniesPlainHttp("web", "AWS::S3::BucketPolicy")).toEqual([true]);
    expect(deniesPlainHttp("storage", "AWS::S3::BucketPolicy")).toEqual([true]);
    expect(deniesPlainHttp("realtime", "AWS::SNS::TopicPolicy")).toEqual([true]);
    synth.web.resourceCountIs("AWS::CloudFront::OriginAccessControl", 1);
    synth.web.resourceCountIs("AWS::CloudFront::CloudFrontOriginAccessIdentity", 0);
  });

  it("throttles both API stages (every route), within the account's 10,000 requests/s", () => {
    const stages = view.resourcesOf("gateway", "AWS::ApiGatewayV2::Stage").map(([, stage]) => stage.Properties);
    expect(stages).toHaveLength(2);
    for (const stage of stages)
      expect(stage.DefaultRouteSettings).toMatchObject({
        ThrottlingRateLimit: expect.any(Number),
        ThrottlingBurstLimit: expect.any(Number),
      });
    expect(stages.map((stage) => stage.DefaultRouteSettings.ThrottlingRateLimit).sort((a: number, b: number) => a - b)).toEqual([
      1_000, 2_000,
    ]);
  });

  it("declares the sessions ledger and the quota counters with TTL, and no function may delete from S3", () => {
    for (const name of ["sessions", "quotas"]) {
      synth.storage.hasResourceProperties("AWS::DynamoDB::Table", {
        TableName: `test-pushgate-${name}`,
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      });
    }
    const actions = view
      .resourcesOf("realtime", "AWS::IAM::Policy")
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument.Statement as Parameters<typeof actionsOf>[0][]).flatMap(actionsOf));
    expect(actions).toContain("s3:PutObject");
    expect(actions.filter((action) => /^s3:(Delete|Abort|\*)/.test(action))).toEqual([]);
  });

  it("declares the WebSocket API with every route and its route responses, and the HTTP API with its routes", () => {
    synth.gateway.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "WEBSOCKET",
      Name: "test-pushgate-websocket",
      RouteSelectionExpression: "$request.body.action",
    });
    synth.gateway.hasResourceProperties("AWS::ApiGatewayV2::Stage", { StageName: "test", AutoDeploy: true });
    const routes = view.resourcesOf("realtime", "AWS::ApiGatewayV2::Route").map(([, route]) => route.Properties);
    const websocketRoutes = routes.filter((route) => !/ /.test(route.RouteKey));
    expect(websocketRoutes.map((route) => [route.RouteKey, route.RouteResponseSelectionExpression ?? null]).sort()).toEqual([
      ["$connect", null],
      ["$default", "$default"],
      ["$disconnect", null],
      ["ping", "$default"],
      ["subscribe", "$default"],
      ["unsubscribe", "$default"],
    ]);
    // A route response for exactly the four routes that answer the caller.
    synth.realtime.resourceCountIs("AWS::ApiGatewayV2::RouteResponse", 4);
    synth.realtime.allResourcesProperties("AWS::ApiGatewayV2::RouteResponse", { RouteResponseKey: "$default" });

    synth.gateway.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "HTTP",
      Name: "test-pushgate-http",
      // browserApiCors, which the local cloud's HTTP API applies too: Date readable for the client's clock-skew renewal.
      CorsConfiguration: {
        AllowOrigins: ["*"],
        AllowMethods: ["GET", "POST"],
        AllowHeaders: ["authorization", "content-type"],
        ExposeHeaders: ["date"],
        AllowCredentials: false,
        MaxAge: 86400,
      },
    });
    expect(
      routes
        .map((route) => route.RouteKey)
        .filter((key: string) => / /.test(key))
        .sort(),
    ).toEqual([
      "DELETE /games/{gameId}",
      "GET /.well-known/jwks.json",
      "GET /queues/{eventId}/challenge",
      "GET /queues/{eventId}/me",
      "GET /snapshots",
      "POST /games/{gameId}/score",
      "POST /jobs",
      "POST /queues/{eventId}/admission",
      "POST /queues/{eventId}/advance",
      "POST /queues/{eventId}/join",
      "POST /session",
      "PUT /games/{gameId}",
      "PUT /queues/{eventId}",
    ]);
  });

  it("declares the tables with their keys, indexes, TTL attribute and NEW_AND_OLD_IMAGES streams", () => {
    synth.storage.resourceCountIs("AWS::DynamoDB::Table", 9);
    synth.storage.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "test-pushgate-subscriptions",
      KeySchema: [
        { AttributeName: "topicShard", KeyType: "HASH" },
        { AttributeName: "connectionId", KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      // The occupancy counters read it (watchersTally).
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
      BillingMode: "PAY_PER_REQUEST",
    });
    synth.storage.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "test-pushgate-watchers",
      KeySchema: [{ AttributeName: "counterId", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      StreamSpecification: Match.absent(),
    });
    synth.storage.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "test-pushgate-jobs",
      KeySchema: [{ AttributeName: "jobId", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byFan",
          KeySchema: [
            { AttributeName: "fanId", KeyType: "HASH" },
            { AttributeName: "createdAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
    });
    for (const source of ["games", "queues"])
      synth.storage.hasResourceProperties("AWS::DynamoDB::Table", {
        TableName: `test-pushgate-${source}`,
        StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
        TimeToLiveSpecification: Match.absent(),
      });
  });

  it("gives every stream consumer the topology's batching, filters, bisect, partial failures, retries, record age, parallelization and an SQS dead-letter queue", () => {
    synth.realtime.resourceCountIs("AWS::Lambda::EventSourceMapping", 5 + 1); // 5 stream consumers, the fan-out task queue's consumer
    synth.realtime.resourceCountIs("AWS::SQS::Queue", 5 + 2); // the stream consumers' on-failure queues, the fan-out task queue and its dead letters
    const fanout = {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0,
      StartingPosition: "LATEST",
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 2,
    };
    const deadLetters = (consumer: string) => ({
      OnFailure: { Destination: { "Fn::GetAtt": [Match.stringLikeRegexp(`^${consumer}DeadLetters`), "Arn"] } },
    });
    synth.realtime.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ...fanout,
      FunctionName: { Ref: Match.stringLikeRegexp("^gamesFanout") },
      EventSourceArn: importOf("Storage"),
      FilterCriteria: Match.absent(),
      DestinationConfig: deadLetters("gamesFanout"),
    });
    synth.realtime.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ...fanout,
      FunctionName: { Ref: Match.stringLikeRegexp("^jobsFanout") },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { status: { S: ["ready"] } } } }) }] },
      DestinationConfig: deadLetters("jobsFanout"),
    });
    synth.realtime.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ...fanout,
      BatchSize: 10,
      ParallelizationFactor: 1,
      FunctionName: { Ref: Match.stringLikeRegexp("^jobWorker") },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ["INSERT"], dynamodb: { NewImage: { status: { S: ["pending"] } } } }) }],
      },
      DestinationConfig: deadLetters("jobWorker"),
    });
    synth.realtime.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ...fanout,
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 2,
      ParallelizationFactor: 1,
      MaximumRecordAgeInSeconds: 86_400,
      FunctionName: { Ref: Match.stringLikeRegexp("^watchersTally") },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ eventName: ["INSERT"], dynamodb: { NewImage: { topic: { S: [{ prefix: "game/" }] } } } }) },
          { Pattern: JSON.stringify({ eventName: ["REMOVE"], dynamodb: { OldImage: { topic: { S: [{ prefix: "game/" }] } } } }) },
        ],
      },
      DestinationConfig: deadLetters("watchersTally"),
    });
    synth.realtime.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "test-pushgate-jobWorker-dead-letters",
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it("keeps the data bucket private, with CORS for the site's origin and lifecycle rules that expire snapshots and results", () => {
    synth.storage.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      CorsConfiguration: {
        CorsRules: [
          {
            // Read only (nothing uploads from a browser), and the ETag readable for If-None-Match polling.
            AllowedMethods: ["GET", "HEAD"],
            // The CloudFront domain of the site, and nothing else.
            AllowedOrigins: [{ "Fn::Join": ["", ["https://", importOf("Web")]] }],
            AllowedHeaders: ["If-None-Match"],
            ExposedHeaders: ["ETag"],
            MaxAge: 3600,
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: [
          { Id: "expire-snapshots", Prefix: "snapshots/", ExpirationInDays: 7, Status: "Enabled" },
          { Id: "expire-results", Prefix: "results/", ExpirationInDays: 7, Status: "Enabled" },
        ],
      },
    });
    // The origin imported above is the site's distribution.
    const [corsRule] = view.resourcesOf("storage", "AWS::S3::Bucket")[0]![1].Properties.CorsConfiguration.CorsRules;
    const [distributionId] = view.referencedIds(corsRule.AllowedOrigins);
    expect(view.stacks.web.Resources[distributionId!]!.Type).toBe("AWS::CloudFront::Distribution");
  });

  it("keeps the JWT secret and operator key in SST Config.Secret (SSM), never in the template", () => {
    const [connectId, connect] = view.functionFor("packages/functions/src/ws/connect.handler");
    expect(connect.Properties.Environment.Variables.SST_Secret_value_JWT_SECRET).toBe("__FETCH_FROM_SSM__");
    expect(connect.Properties.Environment.Variables).not.toHaveProperty("SST_Secret_value_OPERATOR_KEY");
    // The action SST's own binding grants and the reader uses (GetParameter, singular, is another action), on both paths.
    const ssm = view.statementsOf(connectId).filter((statement) => JSON.stringify(statement).includes(":ssm:"));
    expect(new Set(ssm.flatMap(actionsOf))).toEqual(new Set(["ssm:GetParameters"]));
    expect([...new Set(ssm.flatMap((statement) => [statement.Resource].flat().map(view.render)))].sort()).toEqual([
      "arn:aws:ssm:us-east-1:123456789012:parameter/sst/pushgate/.fallback/Secret/JWT_SECRET/value",
      "arn:aws:ssm:us-east-1:123456789012:parameter/sst/pushgate/test/Secret/JWT_SECRET/value",
    ]);
    const [scoreId] = view.functionFor("packages/functions/src/http/score.handler");
    expect(JSON.stringify(view.statementsOf(scoreId))).toContain("parameter/sst/pushgate/test/Secret/OPERATOR_KEY/value");
    // No secret value, nor an SSM parameter holding one, is in any template.
    for (const template of Object.values(view.stacks)) {
      const parameters = Object.values(template.Resources).filter((resource) => resource.Type === "AWS::SSM::Parameter");
      expect(parameters.map((parameter) => parameter.Properties.Name).join()).not.toMatch(/\/Secret\//);
    }
  });

  it("deploys the React site as a StaticSite given the WebSocket and HTTP URLs as VITE_ variables", () => {
    synth.web.resourceCountIs("AWS::CloudFront::Distribution", 1);
    synth.web.hasResourceProperties("Custom::S3Uploader", {
      replaceValues: Match.arrayWith([
        {
          files: "**/*.js",
          search: "{{ VITE_WS_URL }}",
          replace: { "Fn::Join": ["", Match.arrayWith(["wss://", importOf("Gateway"), "/test"])] },
        },
        { files: "**/*.js", search: "{{ VITE_HTTP_API_URL }}", replace: importOf("Gateway") },
      ]),
    });
  });

  it("runs every handler on nodejs22.x, arm64, bundled and minified, with two weeks of logs", () => {
    const handlers = view
      .resourcesOf("realtime", "AWS::Lambda::Function")
      .filter(([, fn]) => String(fn.Properties.Handler).startsWith("packages/functions/"));
    expect(handlers).toHaveLength(28); // 6 WebSocket routes, 13 HTTP routes, 5 stream consumers, 1 queue consumer, 3 schedules
    for (const [id, fn] of handlers) {
      expect([id, fn.Properties.Runtime, fn.Properties.Architectures]).toEqual([id, "nodejs22.x", ["arm64"]]);
      synth.realtime.hasResourceProperties("Custom::LogRetention", {
        LogGroupName: { "Fn::Join": ["", ["/aws/lambda/", { Ref: id }]] },
        RetentionInDays: 14,
      });
    }
    // The code is esbuild's single minified file: no module-path comments, no workspace imports left.
    const ping = getStack(Realtime).node.findChild("wsPing");
    const bundle = path.join(useProject().paths.artifacts, ping.node.addr, "packages/functions/src/ws/ping.mjs");
    expect(existsSync(bundle)).toBe(true);
    const code = readFileSync(bundle, "utf8");
    expect(code).not.toMatch(/^\/\/ (packages|node_modules)\//m);
    expect(code).not.toMatch(/from\s*["']@pushgate\//);
  });

  it("grants each function only what it uses, and nothing on `*` but X-Ray and ListStreams", () => {
    const statements = (handler: string) => view.statementsOf(view.functionFor(handler)[0]);
    const actions = (handler: string) => statements(handler).flatMap(actionsOf);
    // ping touches only what every message route needs: the connections table (the per-connection rate
    // limit lives on its item), subscriptions (forgetting an abuser) and its own stage's @connections (closing one).
    const pingTables = statements("packages/functions/src/ws/ping.handler").flatMap((s) => [...view.referencedIds(s.Resource)]);
    expect(pingTables).toContain(view.tableId("connections"));
    expect(pingTables).not.toContain(view.tableId("games"));
    // subscribe reads games but cannot write it, and cannot post to connections.
    const games = view.tableId("games");
    const onGames = statements("packages/functions/src/ws/subscribe.handler").filter((s) => view.referencedIds(s.Resource).has(games));
    expect(onGames.flatMap(actionsOf)).toContain("dynamodb:Query");
    expect(onGames.flatMap(actionsOf)).not.toContain("dynamodb:PutItem");
    // SST's WebSocketApi grants ManageConnections to every route; Gateway.ts clears that through a private
    // field. If an SST upgrade brings the blanket grant back another way, these fail.
    const blanket = "SST's blanket execute-api:ManageConnections grant is back: redo the narrowing in stacks/Gateway.ts";
    expect(actions("packages/functions/src/ws/connect.handler"), blanket).not.toContain("execute-api:ManageConnections");
    for (const route of ["$connect", "$disconnect"] as const) {
      expect(declared.websocket.routes[route]!.function.grants.manageConnections).toBeUndefined();
      expect(actions(declared.websocket.routes[route]!.function.handler), blanket).not.toContain("execute-api:ManageConnections");
    }
    // The fan-out posts to this stage's connections, and only there.
    const manage = statements("packages/functions/src/stream/games.handler").filter((s) =>
      actionsOf(s).includes("execute-api:ManageConnections"),
    );
    expect(manage).toHaveLength(1);
    expect(JSON.stringify(manage[0]!.Resource)).toMatch(/\/test\/\*\/@connections\/\*"/);
    // Nowhere a wildcard action or a wildcard resource beyond the two services that need one.
    for (const [id] of view.resourcesOf("realtime", "AWS::Lambda::Function")) {
      for (const statement of view.statementsOf(id)) {
        expect(actionsOf(statement).filter((action) => action === "*" || action.endsWith(":*"))).toEqual([]);
        if (statement.Resource === "*")
          expect(
            actionsOf(statement).every((action) => /^xray:Put|^dynamodb:ListStreams$|^logs:(Put|Delete)RetentionPolicy$/.test(action)),
          ).toBe(true);
      }
    }
  });

  it("alarms on stream iterator age, dead-letter queue depth, every function's errors and throttles, and the canary", () => {
    synth.realtime.resourceCountIs("AWS::CloudWatch::Alarm", 5 + 5 + 28 * 2 + 2 + 2);
    const alarm = (props: Record<string, unknown>) =>
      synth.realtime.hasResourceProperties("AWS::CloudWatch::Alarm", {
        ...props,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [{ Ref: Match.stringLikeRegexp("^alerts") }],
      });
    alarm({
      Namespace: "AWS/Lambda",
      MetricName: "IteratorAge",
      Statistic: "Maximum",
      Threshold: 60_000,
      Dimensions: [{ Name: "FunctionName", Value: { Ref: Match.stringLikeRegexp("^queuesFanout") } }],
    });
    alarm({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Threshold: 1,
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [Match.stringLikeRegexp("^queuesFanoutDeadLetters"), "QueueName"] } }],
    });
    for (const metric of ["Errors", "Throttles"])
      alarm({
        Namespace: "AWS/Lambda",
        MetricName: metric,
        Statistic: "Sum",
        Threshold: 1,
        Dimensions: [{ Name: "FunctionName", Value: { Ref: Match.stringLikeRegexp("^wsConnect") } }],
      });
  });

  it("outputs the WebSocket, HTTP API and web URLs and the bucket name", () => {
    synth.gateway.hasOutput("WebSocketUrl", {
      Value: {
        "Fn::Join": [
          "",
          ["wss://", { Ref: Match.stringLikeRegexp("^websocketApi") }, ".execute-api.us-east-1.", { Ref: "AWS::URLSuffix" }, "/test"],
        ],
      },
    });
    synth.gateway.hasOutput("HttpApiUrl", { Value: { "Fn::GetAtt": [Match.stringLikeRegexp("^httpApi"), "ApiEndpoint"] } });
    synth.web.hasOutput("WebUrl", {
      Value: { "Fn::Join": ["", ["https://", { "Fn::GetAtt": [Match.stringLikeRegexp("^siteDistribution"), "DomainName"] }]] },
    });
    synth.storage.hasOutput("DataBucketName", { Value: { Ref: Match.stringLikeRegexp("^dataBucket") } });
  });
}
