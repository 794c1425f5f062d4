import { API_BASE_URL, BASE_URL_ENV, OAPI_BASE_URL } from "../protocol/constants.js";

/** The two DingTalk hosts a client talks to. */
export interface BaseUrls {
  /** Stands for https://oapi.dingtalk.com (webhook, gettoken, topapi). */
  oapi: string;
  /** Stands for https://api.dingtalk.com (`/v1.0/...`, Stream gateway). */
  api: string;
}

/**
 * Resolves the hosts: an explicit `baseUrl`, else `DINGTALK_BASE_URL`, else DingTalk's own two hosts.
 * One URL stands for both hosts, which is how the emulator serves them.
 * @param baseUrl - explicit override (option `baseUrl`)
 * @param env - environment to read `DINGTALK_BASE_URL` from (defaults to process.env)
 * @throws TypeError when the URL is not http(s)
 */
export function resolveBaseUrls(
  baseUrl?: string,
  env: Record<string, string | undefined> = process.env,
): BaseUrls {
  const chosen = baseUrl ?? env[BASE_URL_ENV];
  if (!chosen) return { oapi: OAPI_BASE_URL, api: API_BASE_URL };
  let parsed: URL;
  try {
    parsed = new URL(chosen);
  } catch {
    throw new TypeError(`baseUrl (or ${BASE_URL_ENV}) is not a URL: ${JSON.stringify(chosen)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError(`baseUrl (or ${BASE_URL_ENV}) must be http(s): ${JSON.stringify(chosen)}`);
  }
  const trimmed = chosen.replace(/\/+$/, "");
  return { oapi: trimmed, api: trimmed };
}

/**
 * Rewrites a DingTalk URL (e.g. a webhook copied from DingTalk) onto the resolved oapi host, keeping path and query.
 * @param url - the original URL
 * @param oapiBase - the resolved oapi base URL
 */
export function rebaseUrl(url: string, oapiBase: string): string {
  if (oapiBase === OAPI_BASE_URL) return url;
  const original = new URL(url);
  const base = new URL(oapiBase);
  const basePath = base.pathname.replace(/\/+$/, "");
  return `${base.origin}${basePath}${original.pathname}${original.search}`;
}
