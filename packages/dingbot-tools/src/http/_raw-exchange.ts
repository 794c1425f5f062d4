/**
 * Test fixture (not built, not shipped): one raw HTTP/1.1 exchange on its own connection, for the tests that
 * compare answers byte for byte (the emulator's and the relay's fast routes) or need a client that behaves
 * as `nc` does.
 * @module
 */
import { connect } from "node:net";

/** Masks the Date header, so two answers compare equal. */
const maskDate = (answer: string): string => answer.replace(/\r\nDate: [^\r]*\r\n/, "\r\nDate: (masked)\r\n");

/**
 * Writes `request` (head and body, as given) and resolves with everything the server sent until it closed,
 * with the Date header masked so two answers compare equal.
 * @param port - the server's port on 127.0.0.1
 * @param request - the raw request; add `Connection: close` for the server to close after answering
 * @param halfClose - end the client's side after writing (as `nc -N` or a shell pipe does); node:http drops
 *   the request of such a client unless the server allows half-open sockets
 */
export function rawExchange(port: number, request: string, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(maskDate(answer)));
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

/**
 * Sends `requests` on one connection and resolves with the answers, Date masked, when they are all in or the
 * server closed: fewer answers than requests means the server closed a connection the client meant to keep.
 * An answer is complete when its Content-Length bytes are read.
 * @param port - the server's port on 127.0.0.1
 * @param requests - raw requests, head and body each
 * @param pipelined - write them all at once (a server must then find the second request after a first body
 *   it never read); by default each is written once the answer before it is complete
 */
export function rawAnswersOnOneConnection(
  port: number,
  requests: string[],
  pipelined = false,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const answers: string[] = [];
    let buffer = Buffer.alloc(0);
    const finish = (): void => {
      socket.destroy();
      resolve(answers.map(maskDate));
    };
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const headEnd = buffer.indexOf("\r\n\r\n");
        const length = /\r\ncontent-length: (\d+)\r\n/i.exec(buffer.toString("latin1", 0, headEnd + 2));
        const end = headEnd + 4 + Number(length?.[1]);
        if (headEnd === -1 || !length || buffer.length < end) return;
        answers.push(buffer.toString("utf8", 0, end));
        buffer = buffer.subarray(end);
        if (answers.length === requests.length) return finish();
        if (!pipelined) socket.write(requests[answers.length] as string);
      }
    });
    socket.on("error", reject);
    socket.on("close", finish);
    socket.write(pipelined ? requests.join("") : (requests[0] ?? ""));
  });
}
