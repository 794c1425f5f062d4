/**
 * The one capped body reader of the tools package (the emulator's routes and the relay's ingest use it):
 * it stops as soon as a body passes its limit, so a huge or endless upload cannot fill memory, whether or
 * not it declared a Content-Length.
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { incomingOf } from "./incoming.js";

/** The body, or `tooLarge` as soon as it passed the cap. */
export type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false; tooLarge: true };

/**
 * Reads a request body, stopping once it exceeds `limit` bytes. Under @hono/node-server it reads the Node
 * request directly (turning it into a web stream first costs more than the rest of a small handler, and so
 * does building the Fetch `Request` just for its headers); otherwise it streams the web body with a running
 * count. A declared Content-Length over the limit is refused before a byte is read.
 * @param source - a Hono context (fast path under node-server), or a Fetch `Request`
 * @param limit - largest accepted size in bytes
 * @returns the bytes, or `tooLarge`
 * @throws when the client ends the connection before the body did, or the body stream fails
 */
export function readCappedBody(source: Context | Request, limit: number): Promise<BodyRead> {
  const incoming = unreadIncomingOf(source);
  // The Hono routes read a Node request as the fast routes do: one reader, one behaviour.
  if (incoming) return readIncomingBody(incoming, limit);
  return collect((onChunk) => streamCappedBody(source, limit, onChunk));
}

/** The Node request behind a Hono context, when there is one and nobody has read its body yet. */
function unreadIncomingOf(source: Context | Request): IncomingMessage | undefined {
  const found = isContext(source) ? incomingOf(source) : undefined;
  // Only a real Node request can be read directly (a test may pass a bare `{ incoming: { socket } }` env).
  const incoming = typeof found?.on === "function" && found.headers ? found : undefined;
  return incoming && !incoming.readableDidRead && !incoming.readableEnded ? incoming : undefined;
}

/**
 * {@link readCappedBody} for a bare node:http request (a fast route's, see `fast-routes.ts`): a declared
 * Content-Length over the limit is refused before a byte is read, and the read stops once the body passes it.
 * Its listeners are module functions and its state sits on the request: the closures of a general reader
 * (six per request, each named by tsx in source runs) were ≈ 3 % of the emulator's `/robot/send` (issue 15).
 * @param incoming - a request whose body nobody has read yet
 * @param limit - largest accepted size in bytes
 * @returns the bytes, or `tooLarge`
 * @throws when the client ends the connection before the body did
 */
export function readIncomingBody(incoming: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(incoming.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, tooLarge: true });
  return new Promise((resolve, reject) => {
    (incoming as Collecting)[COLLECTOR] = { limit, size: 0, chunks: [], resolve, reject };
    incoming.on("data", onCollectData);
    incoming.on("end", onCollectEnd);
    incoming.on("error", onCollectError);
    // A client that hangs up mid-body may close without 'end' or 'error'; do not wait forever.
    incoming.on("close", onCollectClose);
  });
}

const COLLECTOR = Symbol("readIncomingBody");

/** The state of one {@link readIncomingBody}, kept on its request. */
interface Collector {
  readonly limit: number;
  size: number;
  readonly chunks: Buffer[];
  resolve(read: BodyRead): void;
  reject(error: Error): void;
}

type Collecting = IncomingMessage & { [COLLECTOR]?: Collector | undefined };

/** Removes the listeners and returns the state (undefined once the read has settled). */
function stopCollecting(incoming: Collecting): Collector | undefined {
  const collector = incoming[COLLECTOR];
  incoming[COLLECTOR] = undefined;
  incoming.off("data", onCollectData);
  incoming.off("end", onCollectEnd);
  incoming.off("error", onCollectError);
  incoming.off("close", onCollectClose);
  return collector;
}

function onCollectData(this: Collecting, chunk: Buffer): void {
  const collector = this[COLLECTOR];
  if (!collector) return;
  collector.size += chunk.byteLength;
  if (collector.size > collector.limit) {
    stopCollecting(this);
    // Discard the rest instead of destroying the socket, so the refusal still reaches the client.
    this.resume();
    collector.resolve({ ok: false, tooLarge: true });
    return;
  }
  collector.chunks.push(chunk);
}

function onCollectEnd(this: Collecting): void {
  const collector = stopCollecting(this);
  if (!collector) return;
  const { chunks, size } = collector;
  collector.resolve({
    ok: true,
    bytes: chunks.length === 1 ? (chunks[0] as Uint8Array) : joined(chunks, size),
  });
}

function onCollectError(this: Collecting, error: Error): void {
  stopCollecting(this)?.reject(error);
}

function onCollectClose(this: Collecting): void {
  stopCollecting(this)?.reject(new Error("the client closed the connection before the body ended"));
}

/** The chunks as one array of `size` bytes. */
function joined(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Keeps what a streaming read passes on, as one array (the chunk itself when there is only one). */
async function collect(
  stream: (onChunk: (chunk: Uint8Array) => ChunkVerdict) => Promise<BodyStream>,
): Promise<BodyRead> {
  const chunks: Uint8Array[] = [];
  const read = await stream((chunk) => {
    chunks.push(chunk);
    return undefined;
  });
  if (!read.ok) return read;
  return { ok: true, bytes: chunks.length === 1 ? (chunks[0] as Uint8Array) : joined(chunks, read.size) };
}

function isContext(source: Context | Request): source is Context {
  return "req" in source && "env" in source;
}

function requestOf(source: Context | Request): Request {
  return isContext(source) ? source.req.raw : source;
}

/** What a chunk consumer says: go on, or stop reading (the rest of the body is discarded). */
export type ChunkVerdict = undefined | "stop";

/** The outcome of {@link streamCappedBody}. */
export type BodyStream = { ok: true; size: number; stopped?: true } | { ok: false; tooLarge: true };

/**
 * Streams a request body chunk by chunk to `onChunk`, stopping once it exceeds `limit` bytes, without
 * keeping it: the consumer decides what to hold (a multipart parser keeps only the file's bytes). The same
 * sources and checks as {@link readCappedBody}. A consumer that answers `"stop"` ends the read early; the
 * rest of the body is drained unread, so the answer still reaches the client.
 * @param source - a Hono context (fast path under node-server), or a Fetch `Request`
 * @param limit - largest accepted size in bytes
 * @param onChunk - called with each chunk in order
 * @throws when the client ends the connection before the body did, or the body stream fails
 */
export async function streamCappedBody(
  source: Context | Request,
  limit: number,
  onChunk: (chunk: Uint8Array) => ChunkVerdict,
): Promise<BodyStream> {
  const found = isContext(source) ? incomingOf(source) : undefined;
  // Only a real Node request can be read directly (a test may pass a bare `{ incoming: { socket } }` env).
  const incoming = typeof found?.on === "function" && found.headers ? found : undefined;
  const declared = Number(
    incoming ? incoming.headers["content-length"] : requestOf(source).headers.get("content-length"),
  );
  if (Number.isFinite(declared) && declared > limit) return { ok: false, tooLarge: true };
  if (incoming && !incoming.readableDidRead && !incoming.readableEnded) {
    return streamIncoming(incoming, limit, onChunk);
  }
  return streamWebBody(requestOf(source), limit, onChunk);
}

function streamIncoming(
  incoming: IncomingMessage,
  limit: number,
  onChunk: (chunk: Uint8Array) => ChunkVerdict,
): Promise<BodyStream> {
  return new Promise((resolve, reject) => {
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
        // Discard the rest instead of destroying the socket, so the refusal still reaches the client.
        incoming.resume();
        resolve({ ok: false, tooLarge: true });
        return;
      }
      let verdict: ChunkVerdict;
      try {
        verdict = onChunk(chunk);
      } catch (error) {
        cleanup();
        incoming.resume();
        reject(error);
        return;
      }
      if (verdict === "stop") {
        cleanup();
        incoming.resume();
        resolve({ ok: true, size, stopped: true });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ ok: true, size });
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    // A client that hangs up mid-body may close without 'end' or 'error'; do not wait forever.
    const onClose = (): void => {
      cleanup();
      reject(new Error("the client closed the connection before the body ended"));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

async function streamWebBody(
  request: Request,
  limit: number,
  onChunk: (chunk: Uint8Array) => ChunkVerdict,
): Promise<BodyStream> {
  if (!request.body) return { ok: true, size: 0 };
  const reader = request.body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, tooLarge: true };
    }
    if (onChunk(value) === "stop") {
      await reader.cancel().catch(() => undefined);
      return { ok: true, size, stopped: true };
    }
  }
  return { ok: true, size };
}
