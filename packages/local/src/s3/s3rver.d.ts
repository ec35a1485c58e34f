/** The part of @20minutes/s3rver@4.0.4 we use (the package ships no types). */
declare module "@20minutes/s3rver" {
  import type { AddressInfo } from "node:net";

  interface S3rverBucketConfig {
    name: string;
    /** CORSConfiguration / WebsiteConfiguration XML documents. */
    configs?: (string | Buffer)[];
  }

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: S3rverBucketConfig[];
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
