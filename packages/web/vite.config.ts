import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const endpointsFile = resolve(here, "../../.pushgate/endpoints.json");

/**
 * In `vite dev`, serve the local cloud's .pushgate/endpoints.json at
 * /endpoints.json so the page finds its servers with no build-time variables.
 * (A server that mounts this config, like the local cloud's, may serve it too;
 * whichever answers first is the same file.)
 */
function localEndpoints(): Plugin {
  return {
    name: "pushgate-local-endpoints",
    configureServer(server) {
      server.middlewares.use("/endpoints.json", (_request, response) => {
        readFile(endpointsFile, "utf8").then(
          (text) => {
            response.setHeader("content-type", "application/json");
            response.setHeader("cache-control", "no-store");
            response.end(text);
          },
          () => {
            response.statusCode = 404;
            response.setHeader("content-type", "application/json");
            response.end(JSON.stringify({ error: { code: "NOT_FOUND", message: `${endpointsFile} is missing: start the local cloud with npm start` } }));
          },
        );
      });
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [react(), localEndpoints()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
  },
});
