export { startDynamoDbLocal, type DynamoDbLocal, type StartDynamoDbLocalOptions } from "./local-server";
export { createTables, type CreateTablesOptions, type CreatedTables } from "./create-tables";
export { localDynamoDbClientConfig, localCredentials, localRegion } from "./client-config";
export type { Log, LogLevel } from "../log";
export { startTtlSweeper, type TtlSweeper, type TtlSweeperOptions, type TtlTable, type SweepResult } from "./ttl-sweeper";
export { ServiceDeletions, type ServiceDeletionsOptions } from "./service-deletions";
