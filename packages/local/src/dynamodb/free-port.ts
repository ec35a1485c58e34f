import { createServer } from "node:net";

/**
 * A TCP port free at the time of asking. Java cannot listen on port 0 and tell
 * us the port, so we ask the OS for one and hand it over; the short race with
 * another process is reported by java ("Address already in use") at start.
 */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("The OS gave no free port; pass `port` explicitly."))));
    });
  });
}

/**
 * True if nothing listens on the port. Checked before spawning java, because
 * a second DynamoDB Local on a taken port fails to bind while the first one
 * happily answers our readiness probe, which would look like success.
 */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
