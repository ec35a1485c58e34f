/** Every minute: a fan's socket, a producer's write, the push back and the snapshot, timed (CanarySuccess, CanaryLatencyMs). */
import { scheduled } from "../edge";

export const handler = scheduled((app) => app.runCanary());
