export { createPushClient, DEFAULTS } from "./client";
export type { PushClient, PushClientOptions, PushClientEvents, AppliedMessage, StaleMessage } from "./client";
export type { ConnectionState, ConnectionSnapshot, ClosedReason, StateChange } from "./connectionState";
export type { TopicSnapshot, KindOfTopic, UpdateSource } from "./topicStore";
export type { Freshness } from "./freshness";
export { pendingTopicSnapshot } from "./topicStore";
// The protocol's types an app reads, so an app depends on the client alone.
export {
  browserEndpoints,
  formatClock,
  formatWatching,
  GAME_LIST_TOPIC,
  leadingZeroBits,
  proofOfWorkInput,
  secondsLeftAt,
} from "@pushgate/core/wire";
export type {
  AdmissionResponse,
  ContestReport,
  ReportedGame,
  ScoringPlay,
  GameClock,
  GameListData,
  GameStatus,
  GameSummary,
  TeamInfo,
  BrowserEndpoints,
  ChallengeResponse,
  CreateJobResponse,
  DataByKind,
  HttpErrorBody,
  JoinResponse,
  MessageFrame,
  MessageKind,
  PlaceStatus,
  QueuePhase,
  QueuePositionData,
  ResultReadyData,
  ScoreData,
  TopicName,
} from "@pushgate/core/wire";
export type { ReadableStore } from "./externalStore";
export type { PushClientError, ClientErrorCode } from "./errors";
export type { SessionToken, TokenProvider, TokenReason } from "./session";
export { SessionError, sessionEndpointTokenProvider } from "./session";
export { backoffCeiling, fullJitterDelay, RECONNECT_BACKOFF } from "./backoff";
export type { BackoffOptions } from "./backoff";
export type { PollingOptions } from "./snapshotPoller";
export { browserOnlineSource, browserVisibilitySource, platformTimers } from "./environment";
export type {
  Clock,
  FetchLike,
  OnlineSource,
  RandomSource,
  Timers,
  VisibilityEvent,
  VisibilitySource,
  WebSocketConstructor,
  WebSocketLike,
} from "./environment";
