/** Every minute: opening draws of the queues due within the minute, and automatic advances at admitPerMinute. */
import { scheduled } from "../edge";

export const handler = scheduled((app) => app.queueTick());
