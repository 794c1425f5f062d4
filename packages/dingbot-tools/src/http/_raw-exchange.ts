/**
 * Test fixture (not built, not shipped): one raw HTTP/1.1 exchange on its own connection, for the tests that
 * compare answers byte for byte (the emulator's and the relay's fast routes) or need a client that behaves
 * as `nc` does.
 * @module
 */
import { connect } from "node:net";

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
    socket.on("close", () => resolve(answer.replace(/\r\nDate: [^\r]*\r\n/, "\r\nDate: (masked)\r\n")));
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

/**
 * Sends `requests` one after another on one connection, each once the answer before it is complete (its
 * Content-Length read), and resolves with the answers, Date masked, when they are all in or the server
 * closed: fewer answers than requests means the server closed a connection the client meant to keep.
 * @param port - the server's port on 127.0.0.1
 * @param requests - raw requests, head and body each
 */
export function rawAnswersOnOneConnection(port: number, requests: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const answers: string[] = [];
    let buffer = "";
    const finish = (): void => {
      socket.destroy();
      resolve(answers.map((a) => a.replace(/\r\nDate: [^\r]*\r\n/, "\r\nDate: (masked)\r\n")));
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const headEnd = buffer.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(buffer.slice(0, headEnd + 2));
      // Bodies here are ASCII JSON: characters are bytes.
      if (headEnd === -1 || !length || buffer.length < headEnd + 4 + Number(length[1])) return;
      answers.push(buffer.slice(0, headEnd + 4 + Number(length[1])));
      buffer = "";
      const next = requests[answers.length];
      if (next === undefined) finish();
      else socket.write(next);
    });
    socket.on("error", reject);
    socket.on("close", finish);
    socket.write(requests[0] ?? "");
  });
}
