/** `$default`: every frame that is not a known action; parseClientFrame names what is wrong (UNKNOWN_ACTION, BAD_REQUEST, TOO_LARGE). */
import { wsMessage } from "../edge";

export const handler = wsMessage;
