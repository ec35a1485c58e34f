/**
 * Where the local cloud's services listen, and the host their URLs name.
 *
 * Every service listens on 127.0.0.1 unless the developer asks for another
 * host (`npm start -- --host 0.0.0.0`, to reach the app from a phone): the
 * local cloud checks no credentials on some paths (DynamoDB Local) and keeps
 * secrets next to it, so it must not be on the network by accident.
 */
export const loopbackHost = "127.0.0.1";

const wildcardHosts = new Set(["0.0.0.0", "::", "[::]"]);

/** True for the hosts that mean "every interface". */
export function isWildcardHost(host: string): boolean {
  return wildcardHosts.has(host);
}

/** True for hosts only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The host to put in a URL for a service listening on `listenHost`: a wildcard
 * address is not something to connect to, so URLs written for tools on this
 * machine name the loopback address, which a wildcard listener also answers.
 */
export function urlHost(listenHost: string): string {
  if (isWildcardHost(listenHost)) return loopbackHost;
  return listenHost.includes(":") && !listenHost.startsWith("[") ? `[${listenHost}]` : listenHost;
}
