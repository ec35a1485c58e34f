/**
 * The client's virtual time for the socket tests: the testing kit's own
 * (src/testing/virtualTime.ts). The sockets, HTTP server and fetch underneath
 * stay on real time, so `ws` and Node's own timers behave normally, and the
 * test decides when the client's backoff, ping and planned-reconnect timers fire.
 */
export { ManualClock, seededRandom } from "../../src/testing/virtualTime";
