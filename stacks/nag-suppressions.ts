/**
 * The cdk-nag findings (AwsSolutions and Serverless packs) pushgate accepts,
 * each with the reason a reviewer gets. Everything else a pack reports is a
 * test failure (stacks/test/nag.ts). IAM wildcard findings are accepted only
 * for the resource patterns listed, so a new wildcard still fails.
 */
import { Stack } from "aws-cdk-lib/core";
import { NagSuppressions, type NagPackSuppression } from "cdk-nag";
import type { App } from "sst/constructs";
import { loggedStages } from "./Web";

const wildcard = (pattern: string) => ({ regex: `/^Resource::${pattern}$/g` });

const everywhere: NagPackSuppression[] = [
  {
    id: "AwsSolutions-IAM4",
    reason: "AWSLambdaBasicExecutionRole only lets a function write its own CloudWatch logs; it is Lambda's standard execution role",
    appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  },
  {
    id: "AwsSolutions-IAM5",
    reason:
      "Wildcards only where a resource cannot be named at deploy time: X-Ray and dynamodb:ListStreams take no resource; a table's grant covers its indexes; stream ARNs carry a creation label; objects are granted by key prefix (snapshots/, results/); ManageConnections is per connection id, within this API's stage; SST's uploader writes the site's and CDK's asset buckets",
    appliesTo: [
      "Resource::*",
      wildcard(String.raw`<\w+\.Arn>/index/\*`),
      wildcard(String.raw`<\w+\.Arn>/stream/\*`),
      wildcard(String.raw`<dataBucket\w+\.Arn>/(snapshots|results)/\*`),
      wildcard(String.raw`arn:<AWS::Partition>:execute-api:[\w-]+:\d+:<websocketApi\w+>/[\w-]+/\*/@connections/\*`),
      wildcard(String.raw`<siteFiles\w+\.Arn>/\*`),
      wildcard(String.raw`arn:<AWS::Partition>:s3:::cdk-[\w-]+-assets-\d+-[\w-]+/\*`),
    ],
  },
  {
    id: "AwsSolutions-L1",
    reason: "Handlers run on nodejs22.x, the version the code is built and tested on; SST's and CDK's own deploy-time handlers pin theirs",
  },
  {
    id: "Serverless-LambdaLatestVersion",
    reason: "Handlers run on nodejs22.x, the version the code is built and tested on; SST's and CDK's own deploy-time handlers pin theirs",
  },
  {
    id: "Serverless-LambdaDLQ",
    reason:
      "API handlers answer their caller synchronously (nothing to retry); stream consumers send failures to an SQS on-failure destination on their event source mapping, which this rule does not look at",
  },
  {
    id: "Serverless-LambdaTracing",
    reason: "Only SST's and CDK's deploy-time custom-resource handlers lack tracing; every pushgate handler is traced",
  },
  {
    id: "AwsSolutions-APIG4",
    reason:
      "Authorization runs in core on every route: $connect verifies the fan token (API Gateway authorizes WebSockets only on $connect), HTTP routes verify the bearer token or operator key; an authorizer would add a second invocation per request",
  },
  {
    id: "Serverless-APIGWStructuredLogging",
    reason:
      "Access logs are JSON once API Gateway fills in $context.status and the latencies, which SST's format leaves unquoted; cdk-nag parses the unfilled template",
  },
  {
    id: "AwsSolutions-SQS3",
    reason:
      "These queues are the dead-letter (on-failure) queues of the stream consumers and of the fan-out task queue (which has its redrive)",
  },
  {
    id: "Serverless-SQSRedrivePolicy",
    reason:
      "These queues are the dead-letter (on-failure) queues of the stream consumers and of the fan-out task queue (which has its redrive)",
  },
  {
    id: "Serverless-LambdaEventSourceMappingDestination",
    reason:
      "The fan-out task queue's consumer: an SQS source's failures go to the queue's own dead-letter queue by its redrive policy (maxReceiveCount); a mapping's on-failure destination is for stream sources, which have one",
  },
  { id: "Serverless-EventBusDLQ", reason: "The queue tick runs every minute and each run catches up on what the last one missed" },
  { id: "AwsSolutions-CFR1", reason: "A public fan site: no geographic restriction" },
  {
    id: "AwsSolutions-CFR2",
    reason: "No WAF on a static site of public files; abuse is bounded at the APIs (stage throttling, per-fan and per-address quotas)",
  },
  {
    id: "AwsSolutions-CFR4",
    reason:
      "The distribution uses CloudFront's default certificate, whose minimum TLS version cannot be set; a custom domain's certificate sets TLSv1.2_2021",
  },
];

const unlogged: NagPackSuppression[] = [
  {
    id: "AwsSolutions-S1",
    reason: "Access logs are kept on prod only (stacks/Web.ts loggedStages); personal and preview stages do not pay for them",
  },
  {
    id: "AwsSolutions-CFR3",
    reason: "Access logs are kept on prod only (stacks/Web.ts loggedStages); personal and preview stages do not pay for them",
  },
];

/** Attaches the accepted findings to every stack of `app`, so cdk-nag reports them as suppressed, with their reasons. */
export function suppressAcceptedFindings(app: App): void {
  for (const stack of app.node.children.filter((child): child is Stack => Stack.isStack(child))) {
    NagSuppressions.addStackSuppressions(stack, loggedStages.has(app.stage) ? everywhere : [...everywhere, ...unlogged]);
    const accessLogs = stack.node.tryFindChild("accessLogs");
    if (accessLogs)
      NagSuppressions.addResourceSuppressions(
        accessLogs,
        [{ id: "AwsSolutions-S1", reason: "The access-log bucket does not log its own access" }],
        true,
      );
  }
}
