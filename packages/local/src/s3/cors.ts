/**
 * The bucket CORS configuration the stacks deploy for `cors: true` buckets,
 * as the XML s3rver reads: browsers GET snapshots/results and PUT uploads
 * through pre-signed URLs, and read the ETag to poll with If-None-Match.
 */
export interface BucketCors {
  allowedOrigins: string[];
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function corsConfigurationXml(cors: BucketCors): string {
  if (cors.allowedOrigins.length === 0) throw new Error("CORS needs at least one allowed origin, e.g. http://localhost:5173, or \"*\".");
  return [
    "<CORSConfiguration>",
    "<CORSRule>",
    ...cors.allowedOrigins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`),
    ...["GET", "HEAD", "PUT"].map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
    "<AllowedHeader>*</AllowedHeader>",
    "<ExposeHeader>ETag</ExposeHeader>",
    "<MaxAgeSeconds>3000</MaxAgeSeconds>",
    "</CORSRule>",
    "</CORSConfiguration>",
  ].join("");
}
