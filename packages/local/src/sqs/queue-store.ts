/**
 * The queues of the local SQS: standard-queue semantics, in memory.
 *
 * A received message is invisible for the visibility timeout and comes back
 * if it is not deleted by then (a failed or timed-out consumer); each receive
 * counts, and a message received `maxReceiveCount` times that comes back once
 * more is moved to the dead-letter queue instead (SQS's redrive policy).
 * Messages older than the retention period are dropped, as SQS drops them.
 * Time is an injected clock, so tests step it rather than wait.
 */
import { createHash, randomUUID } from "node:crypto";

export interface QueueSettings {
  name: string;
  arn: string;
  url: string;
  visibilityTimeoutSeconds: number;
  maxMessageSizeBytes: number;
  retentionSeconds: number;
  /** Redrive: after this many receives the message goes to `deadLetters`. */
  redrive?: { deadLetters: LocalQueue; maxReceiveCount: number };
}

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Invisible until then (ms); 0 when visible. */
  invisibleUntil: number;
  /** The handle of the latest receive: a delete with an older one still works on SQS, so any handle of this message is kept. */
  receiptHandles: Set<string>;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    ApproximateFirstReceiveTimestamp: string;
    SenderId: string;
  };
}

export const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

export class LocalQueue {
  private readonly messages = new Map<string, StoredMessage>();
  private readonly byHandle = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  /** Messages moved to the dead-letter queue, counted. */
  redriven = 0;

  constructor(
    readonly settings: QueueSettings,
    private readonly now: () => number,
  ) {}

  send(body: string): StoredMessage {
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      sentAt: this.now(),
      receiveCount: 0,
      invisibleUntil: 0,
      receiptHandles: new Set(),
    };
    this.messages.set(message.messageId, message);
    for (const listener of this.listeners) listener();
    return message;
  }

  /** Up to `max` visible messages, made invisible for `visibilitySeconds` (the queue's default when undefined). */
  receive(max: number, senderId: string, visibilitySeconds = this.settings.visibilityTimeoutSeconds): ReceivedMessage[] {
    const now = this.now();
    const received: ReceivedMessage[] = [];
    for (const message of [...this.messages.values()]) {
      if (received.length >= max) break;
      if (now - message.sentAt > this.settings.retentionSeconds * 1000) {
        this.forget(message);
        continue;
      }
      if (message.invisibleUntil > now) continue;
      const redrive = this.settings.redrive;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        // SQS moves it on the receive after its last allowed one, keeping its id and body.
        this.forget(message);
        redrive.deadLetters.adopt(message);
        this.redriven++;
        continue;
      }
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.invisibleUntil = now + visibilitySeconds * 1000;
      const receiptHandle = `${message.messageId}#${randomUUID()}`;
      message.receiptHandles.add(receiptHandle);
      this.byHandle.set(receiptHandle, message.messageId);
      received.push({
        messageId: message.messageId,
        receiptHandle,
        body: message.body,
        md5OfBody: message.md5OfBody,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
          SenderId: senderId,
        },
      });
    }
    return received;
  }

  /** False for a handle this queue never gave out (ReceiptHandleIsInvalid); deleting a message already gone is fine, as on SQS. */
  delete(receiptHandle: string): boolean {
    const messageId = this.byHandle.get(receiptHandle);
    if (messageId === undefined) return false;
    const message = this.messages.get(messageId);
    if (message) this.forget(message);
    return true;
  }

  /** Makes a received message visible again now (ChangeMessageVisibility to 0). */
  release(receiptHandle: string): void {
    const message = this.messages.get(this.byHandle.get(receiptHandle) ?? "");
    if (message) message.invisibleUntil = 0;
  }

  /** ApproximateNumberOfMessages and ApproximateNumberOfMessagesNotVisible. */
  counts(): { visible: number; inFlight: number } {
    const now = this.now();
    let inFlight = 0;
    for (const message of this.messages.values()) if (message.invisibleUntil > now) inFlight++;
    return { visible: this.messages.size - inFlight, inFlight };
  }

  /** When the next invisible message becomes visible (ms), if any: a poller sleeps until then. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (message.invisibleUntil > 0 && (next === undefined || message.invisibleUntil < next)) next = message.invisibleUntil;
    }
    return next;
  }

  /** Called on every send, so a poller wakes at once instead of at its next poll. */
  onSend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private adopt(message: StoredMessage): void {
    this.messages.set(message.messageId, { ...message, receiveCount: 0, invisibleUntil: 0, receiptHandles: new Set() });
    for (const listener of this.listeners) listener();
  }

  private forget(message: StoredMessage): void {
    this.messages.delete(message.messageId);
    for (const handle of message.receiptHandles) this.byHandle.delete(handle);
  }
}
