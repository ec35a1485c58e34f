import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The browser's part of the local cloud's endpoints, which `npm start` writes
 * beside endpoints.json (see writeEndpointsFile): this server never opens the
 * file that holds the operator key and the admin credentials.
 * PUSHGATE_BROWSER_ENDPOINTS_FILE lets a test (or a second checkout) point it elsewhere.
 */
const endpointsFile = process.env.PUSHGATE_BROWSER_ENDPOINTS_FILE ?? resolve(here, "../../.pushgate/browser-endpoints.json");

/**
 * What the dev server may read from disk: the app's own sources and the
 * workspace package it runs (`@pushgate/client`; `@pushgate/core` is imported
 * for types only). Vite's default is the whole workspace, which includes
 * .pushgate/secrets.json (the JWT secret, the operator key) and every file at
 * the repository root, readable by anyone who reaches the server at /@fs/.
 * Dependencies under node_modules stay reachable because Vite allows the
 * files its resolver hands out, and adds its own client folder itself.
 */
export const servedFolders = [here, resolve(here, "../client")];

/**
 * In `vite dev`, serve .pushgate/browser-endpoints.json at /endpoints.json, so
 * the page finds its servers with no build-time variables. (A server that
 * mounts this config, like the local cloud's, answers from memory first.)
 */
function localEndpoints(): Plugin {
  return {
    name: "pushgate-local-endpoints",
    configureServer(server) {
      server.middlewares.use("/endpoints.json", (_request, response) => {
        response.setHeader("content-type", "application/json");
        response.setHeader("cache-control", "no-store");
        readFile(endpointsFile, "utf8")
          .then((text) => response.end(JSON.stringify(JSON.parse(text))))
          .catch((error: NodeJS.ErrnoException) => {
            const missing = error.code === "ENOENT";
            response.statusCode = missing ? 404 : 500;
            const message = missing
              ? "the local cloud's browser-endpoints.json is missing: start the local cloud with npm start"
              : "the local cloud's browser-endpoints.json is unreadable: restart npm start, which rewrites it";
            response.end(JSON.stringify({ error: { code: missing ? "NOT_FOUND" : "INTERNAL", message } }));
          });
      });
    },
  };
}

/**
 * In the production build, the stylesheet (under 3 kB gzipped) goes into
 * index.html as a <style>: a linked one blocks the first paint for a round trip
 * of its own, which on a phone's network is most of the wait (Lighthouse's
 * render-blocking-resources, `npm run lighthouse`).
 */
function inlineStylesheet(): Plugin {
  return {
    name: "pushgate-inline-stylesheet",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const html = Object.values(bundle).find((file) => file.type === "asset" && file.fileName === "index.html");
      if (html?.type !== "asset") return;
      let page = String(html.source);
      for (const [fileName, file] of Object.entries(bundle)) {
        if (file.type !== "asset" || !fileName.endsWith(".css")) continue;
        const link = new RegExp(`<link rel="stylesheet"[^>]*href="[^"]*/${fileName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"[^>]*>`);
        if (!link.test(page)) continue;
        page = page.replace(link, () => `<style>${String(file.source)}</style>`);
        delete bundle[fileName];
      }
      html.source = page;
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [react(), localEndpoints(), inlineStylesheet()],
  server: {
    fs: { strict: true, allow: servedFolders },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
  },
});
