import { Match } from "aws-cdk-lib/assertions";
import { ssmSecretPaths } from "@pushgate/core/config";
import { policyFor, type ResourceArns } from "@pushgate/core/iam-policy";
import { envVar, physicalName, topology, type FunctionDecl, type SecretName, type TableName } from "@pushgate/core/topology";
import { beforeEach, expect, it } from "vitest";
import { declared } from "../declared";
import { stage, type Synthesized } from "./synth";
import { actionsOf, type Views } from "./templates";

/**
 * Walks topology.ts and finds each table, route and consumer in the
 * synthesized templates, served by the function with the same handler, the
 * same settings and exactly the declared grants. A piece added to the
 * topology is checked here without touching this file.
 */

// Set before each test from the file's one synthesis (see topologyWalk).
let synth: Synthesized;
let view: Views;

const attributeType = { string: "S", number: "N" } as const;
const writeActions = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"];
const streamActions = new Set(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]);

/** The function serving a declaration: same handler, timeout, memory, configuration and exactly its grants. */
/** The logical id of a topology queue (not its dead-letter queue), found by its physical name. */
function queueId(name: string): string {
  const found = view
    .resourcesOf("realtime", "AWS::SQS::Queue")
    .find(([, queue]) => queue.Properties.QueueName === physicalName(topology.app, stage, name));
  expect(found, `queue ${name}`).toBeDefined();
  return found![0];
}

function expectFunctionFor(decl: FunctionDecl, streamSource?: string): string {
  const [id, fn] = view.functionFor(decl.handler);
  expect(fn.Properties).toMatchObject({ Timeout: decl.timeoutSeconds, MemorySize: decl.memoryMB });

  const statements = view.statementsOf(id);
  const actionsOn = (logicalId: string) =>
    statements.filter((statement) => view.referencedIds(statement.Resource).has(logicalId)).flatMap(actionsOf);
  const environment = fn.Properties.Environment.Variables as Record<string, unknown>;

  for (const name of Object.keys(declared.tables)) {
    const access = decl.grants.tables?.[name];
    const actions = actionsOn(view.tableId(name));
    const label = `${decl.handler} on table ${name}`;
    if (access === "readWrite") expect(actions, label).toEqual(expect.arrayContaining(["dynamodb:Query", ...writeActions]));
    else if (access === "read") {
      expect(actions, label).toEqual(expect.arrayContaining(["dynamodb:GetItem", "dynamodb:Query"]));
      expect(
        actions.filter((action) => writeActions.includes(action)),
        label,
      ).toEqual([]);
    } else
      expect(
        actions.filter((action) => !(name === streamSource && streamActions.has(action))),
        label,
      ).toEqual([]);
    // The physical name travels in the variable core reads, only with a grant.
    const variable = envVar.table(name as TableName);
    if (access) expect(view.referencedIds(environment[variable]), label).toEqual(new Set([view.tableId(name)]));
    else expect(environment, label).not.toHaveProperty(variable);
  }

  // Exactly the statements iam-policy.ts derives (what the local cloud enforces), nothing more: X-Ray's
  // own aside, and the event source mapping's stream grant, which CDK adds again for the same ARNs.
  const granted = new Set(
    statements
      .flatMap((statement) =>
        actionsOf(statement).flatMap((action) => [statement.Resource].flat().map((resource) => `${action} ${view.render(resource)}`)),
      )
      // CDK's event source adds the mapping's own grants on top: reading the exact stream ARN (which
      // `table/T/stream/*` already covers) and sending to its on-failure queue.
      .filter((pair) => !pair.startsWith("xray:") && !pair.startsWith("sqs:") && !pair.endsWith(".StreamArn}")),
  );
  const [[bucketId]] = view.resourcesOf("storage", "AWS::S3::Bucket");
  const [[apiId]] = view.resourcesOf("gateway", "AWS::ApiGatewayV2::Api").filter(([, api]) => api.Properties.ProtocolType === "WEBSOCKET");
  const arns: ResourceArns = {
    table: (name) => `{${view.tableId(name)}.Arn}`,
    bucket: () => `{${bucketId}.Arn}`,
    secretParameters: (name) =>
      ssmSecretPaths({ app: topology.app, stage }, name as SecretName).map((path) => `arn:aws:ssm:us-east-1:123456789012:parameter${path}`),
    connections: `arn:aws:execute-api:us-east-1:123456789012:{${apiId}}/${stage}/*/@connections/*`,
    queue: (name) => `{${queueId(name)}.Arn}`,
  };
  // SQS grants are checked by the queue test below: CDK's event sources add their own on the same queues.
  const expected = policyFor(decl, arns, streamSource ? { consumes: streamSource } : {})
    .flatMap((statement) => statement.actions.flatMap((action) => statement.resources.map((resource) => `${action} ${resource}`)))
    .filter((pair) => !pair.startsWith("sqs:"));
  expect([...granted].sort(), `${decl.handler} IAM policy`).toEqual([...new Set(expected)].sort());

  // Secrets are fetched from SSM: the environment carries SST's placeholder for the bound ones, never a value.
  for (const name of declared.secrets)
    expect(environment[`SST_Secret_value_${name}`]).toBe(decl.grants.secrets?.includes(name) ? "__FETCH_FROM_SSM__" : undefined);

  expect(environment).toMatchObject({
    [envVar.stage]: stage,
    [envVar.managementEndpoint]: expect.anything(),
    [envVar.bucket("data")]: expect.anything(),
  });
  return id;
}

/** The route with this key on the API of this protocol, and the function its integration invokes. */
function routeFor(protocol: "WEBSOCKET" | "HTTP", routeKey: string) {
  const [[apiId]] = view.resourcesOf("gateway", "AWS::ApiGatewayV2::Api").filter(([, api]) => api.Properties.ProtocolType === protocol);
  const routes = view
    .resourcesOf("realtime", "AWS::ApiGatewayV2::Route")
    .filter(([, route]) => route.Properties.RouteKey === routeKey && view.referencedIds(route.Properties.ApiId).has(apiId!));
  expect(routes, `${protocol} route ${routeKey}`).toHaveLength(1);
  const [routeId, route] = routes[0]!;
  const [integrationId] = view.referencedIds(route.Properties.Target);
  const integration = view.stacks.realtime.Resources[integrationId!]!;
  return { routeId, route: route.Properties, invokes: view.referencedIds(integration.Properties.IntegrationUri) };
}

/** Registers the tests; `get` hands over the one synthesis the test file made. */
export function topologyWalk(get: () => { synth: Synthesized; view: Views }) {
  beforeEach(() => ({ synth, view } = get()));

  it("has no more handler functions, routes or consumers in the template than it declares", () => {
    const decls = [
      ...Object.values(declared.websocket.routes),
      ...Object.values(declared.http.routes),
      ...Object.values(declared.consumers),
      ...Object.values(declared.queues ?? {}),
      ...Object.values(declared.schedules ?? {}),
    ].map((piece) => piece.function.handler);
    const handlers = view
      .resourcesOf("realtime", "AWS::Lambda::Function")
      .map(([, fn]) => fn.Properties.Handler)
      .filter((handler) => String(handler).startsWith("packages/"));
    expect(handlers.sort()).toEqual(decls.sort());
    synth.realtime.resourceCountIs(
      "AWS::ApiGatewayV2::Route",
      Object.keys(declared.websocket.routes).length + Object.keys(declared.http.routes).length,
    );
    synth.realtime.resourceCountIs(
      "AWS::Lambda::EventSourceMapping",
      Object.keys(declared.consumers).length + Object.keys(declared.queues ?? {}).length,
    );
    synth.storage.resourceCountIs("AWS::DynamoDB::Table", Object.keys(declared.tables).length);
    synth.realtime.resourceCountIs("AWS::Events::Rule", Object.keys(declared.schedules ?? {}).length);
  });

  it.each(Object.entries(declared.tables))("table %s: name, keys, indexes, TTL and stream", (name, decl) => {
    const keySchema = (partitionKey: { name: string }, sortKey?: { name: string }) => [
      { AttributeName: partitionKey.name, KeyType: "HASH" },
      ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: "RANGE" }] : []),
    ];
    const keys = [decl.partitionKey, decl.sortKey, ...(decl.globalIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey])];
    synth.storage.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: physicalName(topology.app, stage, name),
      KeySchema: keySchema(decl.partitionKey, decl.sortKey),
      AttributeDefinitions: Match.arrayWith(
        keys.flatMap((key) => (key ? [{ AttributeName: key.name, AttributeType: attributeType[key.type] }] : [])),
      ),
      GlobalSecondaryIndexes: decl.globalIndexes
        ? decl.globalIndexes.map((index) =>
            Match.objectLike({ IndexName: index.name, KeySchema: keySchema(index.partitionKey, index.sortKey) }),
          )
        : Match.absent(),
      TimeToLiveSpecification: decl.ttlAttribute ? { AttributeName: decl.ttlAttribute, Enabled: true } : Match.absent(),
      StreamSpecification: decl.stream ? { StreamViewType: "NEW_AND_OLD_IMAGES" } : Match.absent(),
    });
  });

  it.each(Object.entries(declared.websocket.routes))("WebSocket route %s", (routeKey, decl) => {
    const functionId = expectFunctionFor(decl.function);
    const { routeId, route, invokes } = routeFor("WEBSOCKET", routeKey);
    expect(invokes).toContain(functionId);
    expect(route.RouteResponseSelectionExpression).toBe(decl.routeResponse ? "$default" : undefined);
    const responses = view
      .resourcesOf("realtime", "AWS::ApiGatewayV2::RouteResponse")
      .filter(([, response]) => view.referencedIds(response.Properties.RouteId).has(routeId));
    expect(responses.map(([, response]) => response.Properties.RouteResponseKey)).toEqual(decl.routeResponse ? ["$default"] : []);
  });

  it.each(Object.entries(declared.http.routes))("HTTP route %s", (routeKey, decl) => {
    const functionId = expectFunctionFor(decl.function);
    expect(routeFor("HTTP", routeKey).invokes).toContain(functionId);
  });

  it.each(Object.entries(declared.consumers))("stream consumer %s", (name, decl) => {
    const functionId = expectFunctionFor(decl.function, decl.table);
    const mappings = view
      .resourcesOf("realtime", "AWS::Lambda::EventSourceMapping")
      .filter(([, mapping]) => view.referencedIds(mapping.Properties.FunctionName).has(functionId));
    expect(mappings, name).toHaveLength(1);
    const mapping = mappings[0]![1].Properties;
    expect(view.referencedIds(mapping.EventSourceArn)).toEqual(new Set([view.tableId(decl.table)]));
    expect(mapping).toMatchObject({
      StartingPosition: decl.startingPosition,
      BatchSize: decl.batchSize,
      MaximumBatchingWindowInSeconds: decl.maxBatchingWindowSeconds,
      BisectBatchOnFunctionError: decl.bisectBatchOnError,
      MaximumRetryAttempts: decl.retryAttempts,
      MaximumRecordAgeInSeconds: decl.maxRecordAgeSeconds,
      ParallelizationFactor: decl.parallelizationFactor,
    });
    expect(mapping.FunctionResponseTypes ?? []).toEqual(decl.reportBatchItemFailures ? ["ReportBatchItemFailures"] : []);
    expect((mapping.FilterCriteria?.Filters ?? []).map((filter: { Pattern: string }) => JSON.parse(filter.Pattern))).toEqual(
      decl.filters ?? [],
    );
    const [deadLettersId] = view.referencedIds(mapping.DestinationConfig.OnFailure.Destination);
    expect(view.stacks.realtime.Resources[deadLettersId!]!.Type).toBe("AWS::SQS::Queue");
  });

  it.each(Object.entries(declared.queues ?? {}))("queue %s: its settings, DLQ, consumer mapping and who may send", (name, decl) => {
    const id = queueId(name);
    const queue = view.stacks.realtime.Resources[id]!.Properties;
    expect(queue).toMatchObject({
      VisibilityTimeout: decl.visibilityTimeoutSeconds,
      MaximumMessageSize: decl.maxMessageSizeBytes,
      MessageRetentionPeriod: decl.retentionSeconds,
      RedrivePolicy: { maxReceiveCount: decl.maxReceiveCount },
    });
    const functionId = expectFunctionFor(decl.function);
    const mappings = view
      .resourcesOf("realtime", "AWS::Lambda::EventSourceMapping")
      .filter(([, mapping]) => view.referencedIds(mapping.Properties.FunctionName).has(functionId));
    expect(mappings, name).toHaveLength(1);
    const mapping = mappings[0]![1].Properties;
    expect(view.referencedIds(mapping.EventSourceArn)).toEqual(new Set([id]));
    expect(mapping).toMatchObject({
      BatchSize: decl.batchSize,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: decl.maxConcurrency },
    });
    const sqsActionsOn = (fnId: string) =>
      view
        .statementsOf(fnId)
        .filter((statement) => view.referencedIds(statement.Resource).has(id))
        .flatMap(actionsOf);
    expect(sqsActionsOn(functionId)).toEqual(expect.arrayContaining(["sqs:ReceiveMessage", "sqs:DeleteMessage"]));
    const senders = [...Object.values(declared.consumers), ...Object.values(declared.queues ?? {})].filter(
      (consumer) => consumer.function.grants.queues?.[name] === "send",
    );
    expect(senders.length).toBeGreaterThan(0);
    for (const sender of senders)
      expect(sqsActionsOn(view.functionFor(sender.function.handler)[0]), sender.function.handler).toContain("sqs:SendMessage");
  });

  it.each(Object.entries(declared.schedules ?? {}))("schedule %s: an EventBridge rule at its rate targets its function", (_name, decl) => {
    const functionId = expectFunctionFor(decl.function);
    const rules = view
      .resourcesOf("realtime", "AWS::Events::Rule")
      .filter(([, rule]) =>
        (rule.Properties.Targets ?? []).some((target: { Arn: unknown }) => view.referencedIds(target.Arn).has(functionId)),
      );
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties).toMatchObject({
      ScheduleExpression: decl.rateMinutes === 1 ? "rate(1 minute)" : `rate(${decl.rateMinutes} minutes)`,
      State: "ENABLED",
    });
  });
}
