import { Duration, RemovalPolicy } from "aws-cdk-lib/core";
import { S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { StaticSite, use, type StackContext } from "sst/constructs";
import { Gateway } from "./Gateway";

/** Where Vite's dev server listens; `sst dev` serves the site from there instead of deploying it. */
export const localWebOrigin = "http://localhost:5173";

/**
 * Where the site's files come from. Normally `packages/web`, built by
 * `npm run build` during `sst deploy`. With `PUSHGATE_WEB_DIST` set to a
 * directory of already built files (a CI artifact, or the template tests'
 * fixture) nothing is built: those files are uploaded as they are. SST fills in
 * the `{{ VITE_... }}` placeholders in them at deploy time either way.
 */
export function webSiteSource(env: NodeJS.ProcessEnv = process.env) {
  const prebuilt = env.PUSHGATE_WEB_DIST;
  if (prebuilt) return { path: prebuilt, buildOutput: "." };
  return { path: "packages/web", buildCommand: "npm run build", buildOutput: "dist" };
}

/** The stages that keep S3 and CloudFront access logs. */
export const loggedStages = new Set(["prod"]);

/**
 * The React app on S3 + CloudFront, told where the two APIs are.
 *
 * The site's bucket is made here rather than by SST so that CloudFront reads
 * it through origin access control (SST v2 builds a legacy origin access
 * identity) and so that it refuses plain HTTP. On `prod` the bucket, the
 * distribution and the data bucket (Storage) write access logs to one log bucket.
 */
export function Web({ stack, app }: StackContext) {
  const { websocket, http } = use(Gateway);

  const accessLogs = loggedStages.has(app.stage)
    ? new Bucket(stack, "accessLogs", {
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        encryption: BucketEncryption.S3_MANAGED,
        // CloudFront standard logging writes with an ACL.
        objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycleRules: [{ id: "expire-logs", expiration: Duration.days(90) }],
        removalPolicy: RemovalPolicy.RETAIN,
      })
    : undefined;
  // The site's files are rebuilt on every deploy, so the bucket goes with the stage.
  const siteBucket = new Bucket(stack, "siteFiles", {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
    autoDeleteObjects: true,
    removalPolicy: RemovalPolicy.DESTROY,
    ...(accessLogs && { serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: "site-bucket/" }),
  });

  const site = new StaticSite(stack, "site", {
    ...webSiteSource(),
    // The API URLs exist only once deployed: SST builds with "{{ VITE_WS_URL }}"
    // placeholders and its uploader replaces them with the real values.
    environment: {
      VITE_WS_URL: websocket.url,
      VITE_HTTP_API_URL: http.url,
    },
    // SST writes an env-types file next to a Vite config; keep it out of
    // packages/web (not ours to write), under the gitignored .sst/.
    vite: { types: "../../.sst/types/web-env.d.ts" },
    dev: { url: localWebOrigin },
    cdk: {
      bucket: siteBucket,
      distribution: {
        defaultBehavior: { origin: S3BucketOrigin.withOriginAccessControl(siteBucket) },
        ...(accessLogs && { enableLogging: true, logBucket: accessLogs, logFilePrefix: "cloudfront/" }),
      },
    },
  });

  // `site.url` is the CloudFront URL once deployed, the dev URL under `sst dev`.
  const origin = site.url ?? localWebOrigin;
  stack.addOutputs({ WebUrl: origin });

  return { site, origin, accessLogs };
}
