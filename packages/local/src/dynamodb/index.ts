export { startDynamoDbLocal, type DynamoDbLocal, type StartDynamoDbLocalOptions } from "./local-server";
export { createTables, type CreateTablesOptions, type CreatedTables } from "./create-tables";
export { localDynamoDbClientConfig, localCredentials, localRegion } from "./client-config";
export type { Log, LogLevel } from "../log";
