/**
 * Stream-mode frames (protocol section 3): what the gateway pushes and what the client answers.
 * @module
 */
import { z } from "zod";

/** A frame the server pushes (SYSTEM ping/disconnect, EVENT, CALLBACK). `data` is JSON text. */
export const DownstreamFrameSchema = z.looseObject({
  specVersion: z.string().optional(),
  type: z.enum(["SYSTEM", "EVENT", "CALLBACK"]),
  headers: z.looseObject({
    topic: z.string(),
    messageId: z.string().optional(),
    contentType: z.string().optional(),
    time: z.string().optional(),
    appId: z.string().optional(),
    connectionId: z.string().optional(),
  }),
  data: z.string(),
});
/** A pushed frame. */
export type DownstreamFrame = z.infer<typeof DownstreamFrameSchema>;

/** The acknowledgement a client sends for a frame, matched by `headers.messageId`. */
export const AckFrameSchema = z.looseObject({
  code: z.number().int(),
  headers: z.looseObject({ messageId: z.string(), contentType: z.string().optional() }),
  message: z.string().optional(),
  data: z.string().optional(),
});
/** An acknowledgement frame. */
export type AckFrame = z.infer<typeof AckFrameSchema>;

/** Body of `POST /v1.0/gateway/connections/open`. */
export const GatewayOpenRequestSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  subscriptions: z
    .array(z.object({ type: z.enum(["EVENT", "CALLBACK", "SYSTEM"]), topic: z.string() }))
    .min(1),
  ua: z.string().optional(),
  localIp: z.string().optional(),
  extras: z.record(z.string(), z.string()).optional(),
});
/** A connection-open request. */
export type GatewayOpenRequest = z.infer<typeof GatewayOpenRequestSchema>;

/** Answer of `POST /v1.0/gateway/connections/open`. */
export const GatewayOpenResponseSchema = z.object({ endpoint: z.string(), ticket: z.string() });
/** A connection-open answer. */
export type GatewayOpenResponse = z.infer<typeof GatewayOpenResponseSchema>;

/** Builds the ack for a frame, echoing its messageId; `data` is serialised as DingTalk wants (a string). */
export function ackFrame(messageId: string, data: unknown, code = 200, message = "OK"): AckFrame {
  return {
    code,
    headers: { contentType: "application/json", messageId },
    message,
    data: JSON.stringify(data),
  };
}
