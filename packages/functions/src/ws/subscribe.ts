/** The `subscribe` route. All message routes share one path: parse the frame (protocol v1), run it, answer one frame. */
import { wsMessage } from "../edge";

export const handler = wsMessage;
