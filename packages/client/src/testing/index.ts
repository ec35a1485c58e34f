/**
 * `@pushgate/client/testing`: a fake push server for app tests, in the test
 * process, that drives a real `createPushClient` deterministically. See the
 * "Testing your app" section of packages/client/README.md.
 */
export { createFakePushServer, FakePushServer } from "./fakePushServer";
export type { FakePushServerOptions, HttpExchange, IssuedSession, RefusalMode } from "./fakePushServer";
export { ABNORMAL_CLOSURE, FakeConnection } from "./fakeConnection";
export type { ConnectionPhase } from "./fakeConnection";
export { ManualClock, seededRandom } from "./virtualTime";
