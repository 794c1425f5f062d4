/**
 * Folding: when a robot's outbox holds more than its rate limit lets through, the queued messages become one
 * digest: counts by alert name, severity and status, most severe first, with links kept. Every alert is
 * counted, so nothing disappears; entries that do not fit stay queued for the next digest.
 * @module
 */
import { severityRank, severityWord, statusEmoji, statusWord } from "./severity.js";
import type { AlertStatus, OutboxEntry, RenderedMessage } from "./types.js";

/** Lines a digest lists at most; entries of further groups wait for the next digest. */
export const MAX_DIGEST_GROUPS = 60;
/** Links kept per group. */
const LINKS_PER_GROUP = 3;
/** Byte budget of the digest text. */
const DIGEST_BUDGET_BYTES = 14_000;
/** Mentions kept per digest. */
const MAX_MENTIONS = 20;

interface Group {
  name: string;
  severity: string;
  status: AlertStatus;
  count: number;
  links: string[];
}

/** A digest and the entries it stands for. */
export interface Digest {
  message: RenderedMessage;
  entries: OutboxEntry[];
  /** Alerts it counts. */
  alerts: number;
}

const STATUS_ORDER: Record<AlertStatus, number> = { firing: 0, info: 1, resolved: 2 };

function groupKey(name: string, severity: string, status: AlertStatus): string {
  return `${status}\u0000${severity}\u0000${name}`;
}

function lineOf(group: Group, language: "zh" | "en"): string {
  const links = group.links.map(
    (url, i) => `[${i === 0 ? (language === "zh" ? "详情" : "link") : i + 1}](${url})`,
  );
  // Asterisks in a name would break the bold markup the line relies on.
  const name = group.name.replaceAll("*", "");
  return `- ${statusEmoji(group.severity, group.status)} **${name}** · ${severityWord(group.severity, language)} · ${statusWord(group.status, language)} ×${group.count}${links.length ? ` · ${links.join(" ")}` : ""}`;
}

function estimate(group: Group): number {
  return 80 + Buffer.byteLength(group.name) + group.links.reduce((sum, url) => sum + url.length + 12, 0);
}

/**
 * Folds queued entries (oldest first) into one digest message.
 * @param queued - the robot's ready entries, oldest first
 * @param language - language of the digest's words
 * @param now - current time, for the heading
 */
export function foldDigest(queued: readonly OutboxEntry[], language: "zh" | "en"): Digest {
  const groups = new Map<string, Group>();
  const taken: OutboxEntry[] = [];
  let bytes = 0;
  let alerts = 0;
  for (const entry of queued) {
    const fresh = entry.lines.filter((line) => !groups.has(groupKey(line.name, line.severity, line.status)));
    const newKeys = new Set(fresh.map((line) => groupKey(line.name, line.severity, line.status)));
    const added = [...newKeys].length;
    // The oldest entry always goes in, so a digest never comes out empty.
    if (
      taken.length > 0 &&
      added > 0 &&
      (groups.size + added > MAX_DIGEST_GROUPS || bytes > DIGEST_BUDGET_BYTES)
    ) {
      continue;
    }
    for (const line of entry.lines) {
      const key = groupKey(line.name, line.severity, line.status);
      let group = groups.get(key);
      if (!group) {
        group = { name: line.name, severity: line.severity, status: line.status, count: 0, links: [] };
        groups.set(key, group);
        bytes += estimate(group);
      }
      group.count += 1;
      if (line.url && group.links.length < LINKS_PER_GROUP && !group.links.includes(line.url)) {
        group.links.push(line.url);
        bytes += line.url.length + 12;
      }
    }
    alerts += entry.lines.length;
    taken.push(entry);
  }
  return { message: digestMessage([...groups.values()], taken, alerts, language), entries: taken, alerts };
}

function digestMessage(
  groups: Group[],
  entries: readonly OutboxEntry[],
  alerts: number,
  language: "zh" | "en",
): RenderedMessage {
  groups.sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      severityRank(a.severity) - severityRank(b.severity) ||
      b.count - a.count ||
      a.name.localeCompare(b.name),
  );
  const firing = groups.filter((g) => g.status === "firing").reduce((n, g) => n + g.count, 0);
  const resolved = groups.filter((g) => g.status === "resolved").reduce((n, g) => n + g.count, 0);
  const zh = language === "zh";
  const worst = groups[0];
  const emoji = worst ? statusEmoji(worst.severity, worst.status) : "📦";
  const title = zh
    ? `${emoji} 告警汇总 ${alerts} 条（告警 ${firing}，恢复 ${resolved}）`
    : `${emoji} Digest of ${alerts} alerts (${firing} firing, ${resolved} resolved)`;
  const note = zh
    ? `> 发送过快，以下 ${entries.length} 条消息已合并（钉钉限制每个机器人每分钟 20 条）。`
    : `> Sending too fast: ${entries.length} messages were folded into this digest (DingTalk allows 20 per robot per minute).`;
  const lines: string[] = [];
  let bytes = 0;
  for (const [index, group] of groups.entries()) {
    const line = lineOf(group, language);
    bytes += Buffer.byteLength(line) + 1;
    // Only one huge entry (a group of thousands of alerts) can get here: sum up the rest in one line.
    if (bytes > DIGEST_BUDGET_BYTES) {
      const rest = groups.slice(index);
      const count = rest.reduce((n, g) => n + g.count, 0);
      lines.push(
        zh ? `- … 另有 ${rest.length} 组共 ${count} 条` : `- … ${count} more alerts in ${rest.length} groups`,
      );
      break;
    }
    lines.push(line);
  }
  const text = [`### ${title}`, note, "", ...lines].join("\n");
  const mobiles = new Set<string>();
  const userIds = new Set<string>();
  let atAll = false;
  for (const entry of entries) {
    for (const mobile of entry.atMobiles) if (mobiles.size < MAX_MENTIONS) mobiles.add(mobile);
    for (const userId of entry.atUserIds) if (userIds.size < MAX_MENTIONS) userIds.add(userId);
    atAll ||= entry.atAll;
  }
  return { title, text, atMobiles: [...mobiles], atUserIds: [...userIds], atAll };
}

/**
 * Parses the count lines of digest texts back into counts per alert name (tests and the storm bench use it
 * to prove that every alert was represented).
 * @param text - a digest's markdown text
 */
export function parseDigestCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^- \S+ \*\*(.+?)\*\* · .+? · .+? ×(\d+)/gmu)) {
    const name = match[1] as string;
    counts.set(name, (counts.get(name) ?? 0) + Number(match[2]));
  }
  return counts;
}
