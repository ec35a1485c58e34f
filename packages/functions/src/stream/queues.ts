/** Fan-out of the queues table's stream: newest seq per topic, snapshot to S3, push to every subscriber. */
import { streamConsumer } from "../edge";

export const handler = streamConsumer((records, app, deadline) => app.publishChanges("queues", records, deadline));
