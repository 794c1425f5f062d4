/** Request bodies for bad-input tests. */

/** A body that sends `bytes` and then never ends, like a client streaming an endless upload. */
export function endlessBody(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return new Promise(() => undefined);
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x61));
      sent += 64 * 1024;
      return undefined;
    },
  });
}
