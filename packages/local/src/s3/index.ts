export { startS3, type StartS3Options, type LocalS3, type LocalBucket } from "./s3-server";
export { localS3ClientConfig, s3rverCredentials } from "./client-config";
export { corsConfigurationXml, type BucketCors } from "./cors";
export type { Log, LogLevel } from "../log";
