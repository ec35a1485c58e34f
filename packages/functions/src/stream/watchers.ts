/** Occupancy: the subscriptions table's stream counted into the game counters, each touched game's count published (throttled). */
import { streamConsumer } from "../edge";

export const handler = streamConsumer((records, app, deadline) => app.tallyWatchers(records, deadline));
