/**
 * The bucket CORS configuration the stacks deploy for `cors: true` buckets
 * (topology's `browserReadCors`), as the XML s3rver reads.
 */
import { browserReadCors } from "@pushgate/core/topology";

export interface BucketCors {
  allowedOrigins: string[];
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function corsConfigurationXml(cors: BucketCors): string {
  if (cors.allowedOrigins.length === 0) throw new Error('CORS needs at least one allowed origin, e.g. http://localhost:5173, or "*".');
  return [
    "<CORSConfiguration>",
    "<CORSRule>",
    ...cors.allowedOrigins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`),
    ...browserReadCors.allowedMethods.map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
    ...browserReadCors.allowedHeaders.map((header) => `<AllowedHeader>${escapeXml(header)}</AllowedHeader>`),
    ...browserReadCors.exposedHeaders.map((header) => `<ExposeHeader>${header}</ExposeHeader>`),
    `<MaxAgeSeconds>${browserReadCors.maxAgeSeconds}</MaxAgeSeconds>`,
    "</CORSRule>",
    "</CORSConfiguration>",
  ].join("");
}
