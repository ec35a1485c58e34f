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

/** The React app on S3 + CloudFront, told where the two APIs are. */
export function Web({ stack }: StackContext) {
  const { websocket, http } = use(Gateway);

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
  });

  // `site.url` is the CloudFront URL once deployed, the dev URL under `sst dev`.
  const origin = site.url ?? localWebOrigin;
  stack.addOutputs({ WebUrl: origin });

  return { site, origin };
}
