/**
 * The official `dingtalk-stream` Node SDK against the emulator, unchanged but for its connection-open call
 * (protocol 3.8, option 1: patch getEndpoint() on the instance).
 */
import type { DWClient } from "dingtalk-stream";

/** The one change our docs tell `dingtalk-stream` users to make: open the connection at the emulator. */
export function pointAtEmulator(client: DWClient, baseUrl: string): void {
  const patched = client as unknown as {
    config: {
      clientId: string;
      clientSecret: string;
      ua: string;
      subscriptions: unknown[];
      endpoint?: unknown;
    };
    dw_url: string;
    getEndpoint: () => Promise<unknown>;
  };
  patched.getEndpoint = async function getEndpoint() {
    const response = await fetch(`${baseUrl}/v1.0/gateway/connections/open`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        clientId: patched.config.clientId,
        clientSecret: patched.config.clientSecret,
        ua: patched.config.ua,
        subscriptions: patched.config.subscriptions,
      }),
    });
    if (!response.ok) throw new Error(`connections/open failed with HTTP ${response.status}`);
    const answer = (await response.json()) as { endpoint: string; ticket: string };
    patched.config.endpoint = answer;
    patched.dw_url = `${answer.endpoint}?ticket=${answer.ticket}`;
    return this;
  };
}

/**
 * Mutes console.info and console.warn, which the official Stream SDK prints with ("connect success", …), to
 * keep the test output clean.
 * @returns a function that puts them back
 */
export function muteSdkConsole(): () => void {
  const saved = { info: console.info, warn: console.warn };
  console.info = () => {};
  console.warn = () => {};
  return () => {
    console.info = saved.info;
    console.warn = saved.warn;
  };
}
