/** The fan-out task queue's consumer: pushes one shard of a big publication, resuming at its cursor (usecases/fanout-tasks.ts). */
import { queueConsumer } from "../edge";

export const handler = queueConsumer((messages, app, deadline) => app.runFanoutTasks(messages, deadline));
