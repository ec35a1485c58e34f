import { randomBytes } from "node:crypto";

/**
 * Ids shaped like API Gateway's: 11 random bytes in base64, e.g.
 * `L0SM9cOFvHcCIhw=`. They can contain `/`, `+` and `=`, so any code that puts
 * one in a URL without encoding it fails here as it would on AWS.
 */
export const newConnectionId = () => randomBytes(11).toString("base64");

/** Request ids and extended request ids use the same shape. */
export const newRequestId = () => randomBytes(11).toString("base64");

/** Message ids on AWS look the same again; distinct only so logs read clearly. */
export const newMessageId = () => randomBytes(11).toString("base64");
