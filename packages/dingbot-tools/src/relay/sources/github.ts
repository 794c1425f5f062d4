/**
 * GitHub repository webhooks: signature check (`X-Hub-Signature-256`) and the events worth a group message.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { isJsonObject } from "dingbot-sdk/protocol";
import type { RelayAlert, SourceResult } from "../types.js";
import { str } from "./shared.js";

/** Events the relay turns into messages; any other event is acknowledged and ignored. */
export const GITHUB_EVENTS = ["push", "pull_request", "issues", "workflow_run", "release"] as const;

/** Actions worth a message, per event (others, like `synchronize` or `labeled`, would flood a group). */
const ACTIONS: Record<string, readonly string[] | undefined> = {
  pull_request: ["opened", "reopened", "closed", "ready_for_review"],
  issues: ["opened", "reopened", "closed"],
  workflow_run: ["completed"],
  release: ["published"],
};

/**
 * Checks `X-Hub-Signature-256: sha256=<hex>` over the raw body, in constant time.
 * @param secret - the webhook secret configured on GitHub and on the route
 * @param rawBody - the exact bytes received
 * @param header - the header value, if any
 */
export function verifyGithubSignature(
  secret: string,
  rawBody: Uint8Array,
  header: string | undefined,
): boolean {
  if (!header?.startsWith("sha256=")) return false;
  const hex = header.slice("sha256=".length);
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(hex, "hex"));
}

const login = (value: unknown): string =>
  isJsonObject(value) ? (str(value.login) ?? str(value.name) ?? "") : "";

/**
 * Reads a GitHub webhook body for the event named by `X-GitHub-Event`.
 * @param event - the `X-GitHub-Event` header
 * @param body - the parsed JSON body
 */
export function parseGithub(event: string | undefined, body: unknown): SourceResult {
  if (!event) return { kind: "invalid", reason: "missing X-GitHub-Event header" };
  if (event === "ping") return { kind: "pong" };
  if (!(GITHUB_EVENTS as readonly string[]).includes(event)) {
    return { kind: "ignored", reason: `event ${event} is not relayed` };
  }
  if (!isJsonObject(body) || !isJsonObject(body.repository)) {
    return { kind: "invalid", reason: "body must be a JSON object with a repository" };
  }
  const action = str(body.action);
  const allowed = ACTIONS[event];
  if (allowed && (!action || !allowed.includes(action))) {
    return { kind: "ignored", reason: `${event} action ${action ?? "(none)"} is not relayed` };
  }
  const repo = str(body.repository.full_name) ?? "repository";
  const base = {
    event,
    ...(action ? { action } : {}),
    repository: repo,
    sender: login(body.sender),
  };
  const alert = githubAlert(event, action, body, repo);
  if (!alert) return { kind: "invalid", reason: `${event} payload lacks its main object` };
  const labels = { ...base, ...alert.labels };
  return {
    kind: "alerts",
    alerts: [{ ...alert, labels }],
    context: {
      event,
      action: action ?? "",
      repository: body.repository,
      sender: body.sender ?? {},
      payload: body,
    },
  };
}

type Partial0 = Omit<RelayAlert, "labels" | "annotations" | "atMobiles" | "atUserIds"> & {
  labels: Record<string, string>;
};

function githubAlert(
  event: string,
  action: string | undefined,
  body: Record<string, unknown>,
  repo: string,
): RelayAlert | undefined {
  const partial = eventSummary(event, action, body, repo);
  if (!partial) return undefined;
  return { ...partial, annotations: {}, atMobiles: [], atUserIds: [] };
}

function eventSummary(
  event: string,
  action: string | undefined,
  body: Record<string, unknown>,
  repo: string,
): Partial0 | undefined {
  switch (event) {
    case "push": {
      const ref = str(body.ref) ?? "";
      const branch = ref.replace(/^refs\/(heads|tags)\//, "");
      const commits = Array.isArray(body.commits) ? body.commits.length : 0;
      const url = str(body.compare);
      return {
        name: `push ${repo}`,
        severity: "info",
        status: "info",
        labels: { branch, commits: String(commits), forced: String(body.forced === true) },
        summary: `${login(body.pusher) || login(body.sender)} pushed ${commits} commit(s) to ${branch}`,
        ...(url ? { url } : {}),
      };
    }
    case "pull_request":
    case "issues": {
      const item = event === "pull_request" ? body.pull_request : body.issue;
      if (!isJsonObject(item)) return undefined;
      const merged = event === "pull_request" && action === "closed" && item.merged === true;
      const url = str(item.html_url);
      return {
        name: `${event === "pull_request" ? "PR" : "issue"} ${repo}`,
        severity: "info",
        status: "info",
        labels: { number: String(item.number ?? ""), state: merged ? "merged" : (str(item.state) ?? "") },
        summary: `#${String(item.number ?? "")} ${str(item.title) ?? ""}`,
        ...(url ? { url } : {}),
      };
    }
    case "workflow_run": {
      const run = body.workflow_run;
      if (!isJsonObject(run)) return undefined;
      const conclusion = str(run.conclusion) ?? "";
      const failed = ["failure", "timed_out", "startup_failure"].includes(conclusion);
      const url = str(run.html_url);
      return {
        name: `workflow ${str(run.name) ?? ""} ${repo}`.replace(/\s+/g, " "),
        severity: failed ? "error" : "info",
        status: failed ? "firing" : "info",
        labels: { workflow: str(run.name) ?? "", conclusion, branch: str(run.head_branch) ?? "" },
        summary: `${str(run.name) ?? "workflow"} #${String(run.run_number ?? "")} ${conclusion} on ${str(run.head_branch) ?? ""}`,
        ...(url ? { url } : {}),
      };
    }
    case "release": {
      const release = body.release;
      if (!isJsonObject(release)) return undefined;
      const url = str(release.html_url);
      return {
        name: `release ${repo}`,
        severity: "info",
        status: "info",
        labels: { tag: str(release.tag_name) ?? "", prerelease: String(release.prerelease === true) },
        summary: `${str(release.name) ?? str(release.tag_name) ?? ""}`,
        ...(url ? { url } : {}),
      };
    }
    default:
      return undefined;
  }
}
