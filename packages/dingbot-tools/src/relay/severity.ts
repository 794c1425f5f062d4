/**
 * Severity ranking and the words and emoji messages use for it, in Chinese and English.
 * @module
 */
import type { AlertStatus } from "./types.js";

const RANK: Record<string, number> = {
  critical: 0,
  fatal: 0,
  emergency: 0,
  p0: 0,
  page: 0,
  error: 1,
  high: 1,
  major: 1,
  p1: 1,
  warning: 2,
  warn: 2,
  medium: 2,
  p2: 2,
  info: 3,
  low: 3,
  minor: 3,
  p3: 3,
};

/** 0 is most severe; unknown severities sort last. */
export function severityRank(severity: string): number {
  return RANK[severity.toLowerCase()] ?? 4;
}

const WORDS = {
  zh: ["严重", "错误", "警告", "提示", "未知"],
  en: ["Critical", "Error", "Warning", "Info", "Unknown"],
} as const;
const EMOJI = ["🔴", "🟠", "🟡", "🔵", "⚪"] as const;

/** Emoji standing for a severity and status (resolved is always ✅). */
export function statusEmoji(severity: string, status: AlertStatus): string {
  if (status === "resolved") return "✅";
  return EMOJI[severityRank(severity)] ?? "⚪";
}

/** The word for a severity; unknown severities keep their own name. */
export function severityWord(severity: string, language: "zh" | "en"): string {
  const rank = severityRank(severity);
  if (rank === 4) return severity && severity !== "none" ? severity : WORDS[language][4];
  return WORDS[language][rank] ?? severity;
}

/** 告警 / 恢复 / 通知, or Firing / Resolved / Event. */
export function statusWord(status: AlertStatus, language: "zh" | "en"): string {
  const words =
    language === "zh"
      ? { firing: "告警", resolved: "恢复", info: "通知" }
      : { firing: "Firing", resolved: "Resolved", info: "Event" };
  return words[status];
}
