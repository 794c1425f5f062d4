/**
 * The errmsg texts `/robot/send` answers for throttling and for the 310000 security checks, in the
 * wordings DingTalk has used (protocol 1.7; sources in docs/protocol-decisions.md). Clients key on
 * errcode; these texts are for the people who read them.
 * @module
 */
import type { ErrmsgStyle, RateLimitErrcode } from "./options.js";
import type { SecurityFailure } from "./security.js";

/** The errmsg that goes with each throttling errcode, as DingTalk answered it. */
export const RATE_LIMIT_ERRMSGS: Readonly<Record<RateLimitErrcode, string>> = {
  // DingTalk's error-code table.
  410100: "发送速度太快而限流，请降低发送速度",
  // Quoted in public issues (ccfos/nightingale #369, opengoofy/hippo4j #217).
  130101: "send too fast, exceed 20 times per minute",
  // One probe.
  660026: "sending too many messages per minute",
};

/** The link the old English texts end with. */
const LEGACY_MORE = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]";

/**
 * DingTalk's present texts, each the most recent one quoted in a public issue:
 * keyword — mggger/chatgpt-bot-dingding #2 (2023); sign — qd-today/qd #510 (2024) and
 * sunmh207/AI-Codereview-Gitlab #142 (2025); timestamp — 0wQ/air780e-forwarder #51 (2024);
 * IP — sansan0/TrendRadar #70 (2025). The `timestampms` and the double space are DingTalk's.
 */
const CURRENT: Readonly<Record<SecurityFailure["reason"], string>> = {
  keyword: "错误描述:关键词不匹配;解决方案:请联系群管理员查看此机器人的关键词，并在发送的信息中包含此关键词;",
  sign: "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中，请确认机器人的密钥加密和填写正确;link:请参考本接口对应文档获得具体要求，或者在https://open.dingtalk.com/document/  搜索相关文档;",
  timestamp: "description:机器人发送签名过期;solution:签名生成时间和发送时间请保持在 timestampms 以内;",
  ip: "description:ip 不在白名单中;solution:请联系对应群的管理员，设置机器人安全ip地址段",
};

/**
 * The errmsg of a refused security check.
 * @param failure - which check failed
 * @param style - `current` (DingTalk's present wording) or `legacy` (the old English one)
 * @param ip - the client's address as DingTalk shows it; only the legacy IP text names it
 */
export function securityErrmsg(failure: SecurityFailure, style: ErrmsgStyle, ip: string): string {
  if (style === "current") return CURRENT[failure.reason];
  switch (failure.reason) {
    case "keyword":
      return `keywords not in content${LEGACY_MORE}`;
    case "sign":
      return `sign not match${LEGACY_MORE}`;
    case "timestamp":
      return `invalid timestamp${LEGACY_MORE}`;
    case "ip":
      return `ip ${ip} not in whitelist`;
  }
}
