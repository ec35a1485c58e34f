export { startStreamConsumer, type StartStreamConsumerOptions, type StreamConsumer, type DrainedOptions } from "./stream-consumer";
export type { StreamInvoke } from "./batch-processor";
export {
  FileOnFailureDestination,
  MemoryOnFailureDestination,
  type OnFailureDestination,
  type OnFailureRecord,
  type OnFailureCondition,
} from "./on-failure";
export { localStreamsApi, type StreamsApi } from "./streams-api";
export { toLambdaRecord } from "./lambda-event";
export { matchesAnyPattern, validateFilterPatterns, type FilterPattern } from "./event-filter";
export { systemStreamClock, type StreamClock } from "./clock";
export type { StreamConsumerStats } from "./stats";
export type { Log, LogLevel } from "../log";
