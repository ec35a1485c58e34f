import type { S3ClientConfig } from "@aws-sdk/client-s3";

/**
 * s3rver checks SigV4 signatures against one fixed key pair, S3RVER/S3RVER
 * (lib/models/account.js); a client signing with any other key gets 403.
 * Functions get the same through the environment:
 *   AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
 *   AWS_ENDPOINT_URL_S3=<endpoint>
 * plus `forcePathStyle: true` in the client (there is no env variable for it:
 * virtual-hosted names like bucket.127.0.0.1 do not resolve) and the two
 * checksum settings below (env AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED,
 * AWS_RESPONSE_CHECKSUM_VALIDATION=WHEN_REQUIRED): recent SDKs otherwise send
 * aws-chunked bodies with trailing checksums, which s3rver stores verbatim.
 */
export const s3rverCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export function localS3ClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: s3rverCredentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
}
