/**
 * Reads a webhook body with a size cap. Under @hono/node-server it reads the Node request directly:
 * converting it to a web stream first costs more than the rest of the ingest path.
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/** The body, or `tooLarge` as soon as it passed the cap. */
export type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false; tooLarge: true };

/**
 * Reads the request body of a Hono context, stopping once it exceeds `limit` bytes.
 * @param c - the Hono context
 * @param limit - largest accepted size in bytes
 */
export async function readBody(c: Context, limit: number): Promise<BodyRead> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Node's own headers when there is a Node request: building the Fetch Request just for one header costs.
  const declared = Number(
    incoming?.headers ? incoming.headers["content-length"] : c.req.header("content-length"),
  );
  if (Number.isFinite(declared) && declared > limit) return { ok: false, tooLarge: true };
  if (incoming && typeof incoming.on === "function" && !incoming.readableDidRead && !incoming.readableEnded) {
    return readIncoming(incoming, limit);
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  return bytes.byteLength > limit ? { ok: false, tooLarge: true } : { ok: true, bytes };
}

function readIncoming(incoming: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        // Drain the rest rather than destroying the socket, so the 413 still reaches the sender.
        incoming.resume();
        resolve({ ok: false, tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ ok: true, bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    // A sender that hangs up mid-body may close without 'end' or 'error'.
    const onClose = (): void => {
      cleanup();
      reject(new Error("the sender closed the connection before the body ended"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}
