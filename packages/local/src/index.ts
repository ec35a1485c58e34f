export { startLocalCloud, writeEndpointsFile, repoRoot } from "./cloud";
export type { LocalCloud, LocalCloudOptions, Endpoints } from "./cloud";
export type { Log, LogLevel } from "./log";
