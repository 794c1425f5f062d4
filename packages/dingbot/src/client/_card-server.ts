/**
 * Test-only: a tiny DingTalk on 127.0.0.1 that plays the new-API token and the card endpoints, records
 * every call and lets a test script refusals per path. Not shipped (the build leaves `_*.ts` out).
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One recorded call. */
export interface RecordedCall {
  method: string;
  path: string;
  body: Record<string, unknown>;
  /** Size of the request body in bytes. */
  bytes: number;
  headers: Record<string, string | string[] | undefined>;
}

/** A scripted answer. */
export interface ScriptedAnswer {
  status: number;
  body: unknown;
}

/** The fake server. */
export interface CardServer {
  readonly base: string;
  readonly calls: RecordedCall[];
  /** Answers for `METHOD /path`, used in order before the default success. */
  readonly script: Map<string, ScriptedAnswer[]>;
  /** Calls to one `METHOD /path`. */
  callsTo(route: string): RecordedCall[];
  close(): Promise<void>;
}

/** The access token the fake hands out. */
export const FAKE_TOKEN = "card-token-0123456789abcdef0123";

/** Starts the fake on a free port. */
export async function startCardServer(): Promise<CardServer> {
  const calls: RecordedCall[] = [];
  const script = new Map<string, ScriptedAnswer[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const path = (req.url ?? "").split("?")[0] ?? "";
      const route = `${req.method} ${path}`;
      let body: Record<string, unknown> = {};
      try {
        body = raw.length > 0 ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      const answer = script.get(route)?.shift() ?? defaultAnswer(route, body);
      if (route !== "POST /v1.0/oauth2/accessToken") {
        calls.push({ method: req.method ?? "", path, body, bytes: raw.length, headers: req.headers });
      }
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    calls,
    script,
    callsTo: (route) => calls.filter((c) => `${c.method} ${c.path}` === route),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function defaultAnswer(route: string, body: Record<string, unknown>): ScriptedAnswer {
  switch (route) {
    case "POST /v1.0/oauth2/accessToken":
      return { status: 200, body: { accessToken: FAKE_TOKEN, expireIn: 7200 } };
    case "POST /v1.0/card/instances/createAndDeliver":
      return {
        status: 200,
        body: {
          success: true,
          result: {
            outTrackId: body.outTrackId,
            deliverResults: [{ spaceType: "IM_GROUP", spaceId: "x", success: true, carrierId: "c1" }],
          },
        },
      };
    case "POST /v1.0/card/instances":
      return { status: 200, body: { success: true, result: String(body.outTrackId) } };
    case "POST /v1.0/card/instances/deliver":
      return { status: 200, body: { success: true, result: [{ spaceType: "IM_GROUP", success: true }] } };
    case "POST /v1.0/card/callbacks/register":
      return { status: 200, body: { success: true, result: { callbackUrl: body.callbackUrl } } };
    case "POST /v1.0/robot/groupMessages/send":
      return { status: 200, body: { processQueryKey: "pqk-1" } };
    case "PUT /v1.0/card/instances":
    case "PUT /v1.0/card/streaming":
      return { status: 200, body: { success: true, result: true } };
    default:
      return { status: 404, body: { code: "InvalidAction.NotFound", message: "no such API" } };
  }
}

/** DingTalk's answer to a card call over the QPS limit. */
export const QPS_REFUSAL: ScriptedAnswer = {
  status: 403,
  body: {
    code: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    message: "调用该接口超过限流",
    requestid: "r-qps",
  },
};

/** DingTalk's answer when the app lacks a card permission. */
export const PERMISSION_REFUSAL: ScriptedAnswer = {
  status: 403,
  body: {
    code: "Forbidden.AccessDenied.AccessTokenPermissionDenied",
    message: "没有调用该接口的权限",
    requestid: "r-perm",
    accessdenieddetail: { requiredScopes: ["Card.Streaming.Write"] },
  },
};
