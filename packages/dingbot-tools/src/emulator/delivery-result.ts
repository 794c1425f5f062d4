/**
 * What delivering a person's message to a bot produced, and the small interface of the Stream side that
 * delivery code depends on. Its own module so the stream hub and the context can both use it without an
 * import cycle.
 * @module
 */

/** What happened when the emulator delivered a person's message to a bot. */
export interface DeliveryResult {
  /** The bot received it (HTTP 2xx, or a Stream ack). */
  delivered: boolean;
  /** HTTP callbacks only: the body the bot answered inline, if it was a message. */
  inlineReply?: Record<string, unknown>;
  /** Stream apps without a connection: the message waits for the bot to connect. */
  queued?: boolean;
  /** Why delivery failed, when it did. */
  error?: string;
  /** Attempts made (retries after 5xx/timeouts reuse the msgId). */
  attempts: number;
}

/**
 * The Stream side of the emulator, implemented by the stream server once it listens. Delivery code calls
 * it for apps created with `mode: "stream"`.
 */
export interface StreamHub {
  /** Pushes a robot-message CALLBACK to one of the app's connections; resolves when acked or given up. */
  pushRobotMessage(appKey: string, body: Record<string, unknown>): Promise<DeliveryResult>;
  /** Whether the app has at least one open connection. */
  isConnected(appKey: string): boolean;
}
