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
