import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseRelayConfig } from "./config.js";
import { createRelayLogger, secretsOf } from "./log.js";

const TOKEN = "tok0123456789abcdef0123456789abcdef";
const SECRET = "SECrobotsecret0123456789";
const GH = "githubsecret0123456789";
const BEARER = "relaybearer0123456789";
const HEADER = "relayheader0123456789";

describe("createRelayLogger()", () => {
  it("never writes a robot token, a robot secret, a GitHub secret or a route's auth, whatever is logged", () => {
    const config = parseRelayConfig(
      `robots: { ops: { webhook: "https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}", secret: "\${S}" } }
routes:
  - { path: /gh, source: github, robots: [ops], secret: "${GH}" }
  - { path: /am, source: alertmanager, robots: [ops], auth: { bearer: "${BEARER}" } }
  - { path: /g, source: generic, robots: [ops], auth: { header: X-Relay-Token, secret: "${HEADER}" } }`,
      "/x/relay.yaml",
      { S: SECRET },
    );
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createRelayLogger("debug", secretsOf(config), sink);
    const url = `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}&timestamp=1&sign=abc%2B`;
    logger.info({ webhook: url, robot: { secret: SECRET } }, "configured");
    logger.error(
      { err: `POST ${url} failed: token ${TOKEN} refused`, nested: { deep: [`key ${GH}`] } },
      "send failed",
    );
    logger.warn({ url }, `message mentioning ${SECRET} and ${TOKEN}`);
    logger.debug({ headers: { "x-hub-signature-256": "sha256=deadbeef" } }, "request");
    logger.warn({ got: `Bearer ${BEARER}`, header: HEADER }, "auth");
    const output = lines.join("");
    expect(lines).toHaveLength(5);
    for (const secret of [TOKEN, SECRET, GH, BEARER, HEADER, "sign=abc", "deadbeef"])
      expect(output).not.toContain(secret);
    expect(output).toContain("access_token=***");
    expect(output).toContain("send failed");
  });
});
