/**
 * HTTP plumbing of the fuzz targets: one request shape sent either in-process (a fetch-style handler, e.g.
 * a Hono app's `request()`) or over a real keep-alive socket to 127.0.0.1, and the checks every answer must
 * pass: no 5xx, every refusal a 4xx with a reason (or DingTalk's errcode/errmsg), no secret in it.
 */
import http from "node:http";
import type { Failure } from "./campaign.js";
import type { WireBody } from "./mutate.js";

/** One generated request. */
export interface HttpCase {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: WireBody | undefined;
}

/** What came back. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** A short, reproducible description of a case. */
export function describeCase(c: HttpCase): string {
  const body = c.body;
  const preview = body ? Buffer.from(body.bytes.subarray(0, 160)).toString("utf8") : "";
  return `${c.method} ${c.path.slice(0, 200)} headers=${JSON.stringify(c.headers)} body=${
    body ? `${body.bytes.byteLength} bytes (${body.note}) ${JSON.stringify(preview)}` : "none"
  }`;
}

const bodyless = (method: string): boolean => method === "GET" || method === "HEAD";

/** Builds a Fetch Request for a case (GET/HEAD carry no body). */
export function toRequest(base: string, c: HttpCase): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(c.headers)) headers.set(name, value);
  return new Request(`${base}${c.path}`, {
    method: c.method,
    headers,
    ...(c.body && !bodyless(c.method) ? { body: new Uint8Array(c.body.bytes) } : {}),
  });
}

/** Reads a Fetch Response; event streams are cancelled after the headers. */
export async function fromResponse(response: Response): Promise<Answer> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if ((headers["content-type"] ?? "").startsWith("text/event-stream")) {
    await response.body?.cancel();
    return { status: response.status, headers, text: "(event stream)" };
  }
  return { status: response.status, headers, text: await response.text() };
}

/**
 * Calls an in-process handler with a time limit: a request that is never answered is a failure too.
 * @param timeoutMs - how long to wait for the response head and body
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A keep-alive client for one server on 127.0.0.1. */
export class SocketClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  readonly #url: URL;

  constructor(baseUrl: string) {
    this.#url = new URL(baseUrl);
  }

  /** Sends a case; rejects only on a socket error (a server that hung up counts as a failure upstream). */
  send(c: HttpCase, timeoutMs = 10_000): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const body = c.body && !bodyless(c.method) ? c.body.bytes : undefined;
      const headers: Record<string, string | number> = { ...c.headers };
      if (body) headers["content-length"] = body.byteLength;
      const request = http.request(
        {
          agent: this.#agent,
          host: this.#url.hostname,
          port: this.#url.port,
          method: c.method,
          path: c.path,
          headers,
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            flat[name] = Array.isArray(value) ? value.join(", ") : String(value);
          }
          if ((flat["content-type"] ?? "").startsWith("text/event-stream")) {
            response.destroy();
            resolve({ status: response.statusCode ?? 0, headers: flat, text: "(event stream)" });
            return;
          }
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: flat,
              text: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on("error", reject);
      request.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** What a target allows beyond the common rules. */
export interface AnswerRules {
  /** Literal secrets that must never appear in the answer. */
  secrets: readonly string[];
  /** Whether a 5xx is acceptable for this answer (e.g. the relay's store is really down). */
  allow5xx?: (answer: Answer) => boolean;
}

/** The signature path of a case, for grouping failures (no ids, no query). */
export function routeOf(c: HttpCase): string {
  return `${c.method} ${c.path.split("?")[0]?.replace(/\/[^/]*[0-9][^/]*$/, "/:id") ?? ""}`;
}

/**
 * The common checks of one answer. Logs are checked elsewhere, strictly: there even an echoed secret leaks.
 * @returns failures (empty when all held)
 */
export function checkAnswer(c: HttpCase, answer: Answer, rules: AnswerRules): Failure[] {
  const failures: Failure[] = [];
  const where = routeOf(c);
  const status = answer.status;
  if (status >= 500 && !rules.allow5xx?.(answer)) {
    failures.push({
      signature: `${status} on ${where}`,
      detail: `answered ${status}: ${answer.text.slice(0, 300)}`,
    });
  } else if (status < 200 || (status >= 300 && status < 400)) {
    failures.push({
      signature: `status ${status} on ${where}`,
      detail: `unexpected status: ${answer.text.slice(0, 300)}`,
    });
  }
  if (status >= 400 && status < 500 && c.method !== "HEAD" && answer.text.trim() === "") {
    failures.push({
      signature: `${status} without a reason on ${where}`,
      detail: "refusal with an empty body",
    });
  }
  if (status === 200 && c.method !== "HEAD") {
    const parsed = tryJson(answer.text);
    if (parsed && typeof parsed === "object" && "errcode" in parsed) {
      const { errcode, errmsg } = parsed as { errcode: unknown; errmsg: unknown };
      if (errcode !== 0 && errcode !== "0" && !(typeof errmsg === "string" && errmsg.trim() !== "")) {
        failures.push({
          signature: `errcode ${String(errcode)} without errmsg on ${where}`,
          detail: answer.text.slice(0, 300),
        });
      }
    }
  }
  // A secret the request itself carried may come back (an echoed parameter); that tells the sender nothing.
  const sent = `${c.path}\n${JSON.stringify(c.headers)}\n${c.body ? Buffer.from(c.body.bytes).toString("utf8") : ""}`;
  const unsent = rules.secrets.filter((secret) => !sent.includes(secret));
  const leaked = findSecret(`${answer.text}\n${JSON.stringify(answer.headers)}`, unsent);
  if (leaked)
    failures.push({ signature: `secret in the answer of ${where}`, detail: `contains ${mask(leaked)}` });
  return failures;
}

/** Parses JSON, or undefined. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first secret that occurs in `text`. */
export function findSecret(text: string, secrets: readonly string[]): string | undefined {
  for (const secret of secrets) if (secret.length >= 6 && text.includes(secret)) return secret;
  return undefined;
}

/** A secret shown in a report: its first and last two characters. */
export function mask(secret: string): string {
  return `${secret.slice(0, 2)}…${secret.slice(-2)} (${secret.length} chars)`;
}

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort().join(",");

/** Whether some request polluted Object.prototype (e.g. through a merged `__proto__` key). */
export function prototypeFailure(): Failure[] {
  const now = Object.getOwnPropertyNames(Object.prototype).sort().join(",");
  const probe = {} as Record<string, unknown>;
  if (now !== PROTOTYPE_KEYS || probe.polluted !== undefined || probe.isAdmin !== undefined) {
    return [{ signature: "Object.prototype polluted", detail: `Object.prototype now has ${now}` }];
  }
  return [];
}
