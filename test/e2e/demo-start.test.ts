/**
 * `dingbot demo` (what `npm start` runs), as a user runs it: the real CLI in a child process, from source.
 * It prints the page URL, the sample traffic reaches the bots (and the relay) and the page shows it, a
 * screenshot of the demo conversation is taken, and Ctrl-C stops everything. The screenshot goes to
 * .tmp/screenshot-demo.png; only `npm run screenshot` (DINGBOT_WRITE_SCREENSHOT=1) replaces the tracked
 * docs/screenshot-demo.png, so that `npm test` never rewrites a tracked file.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { chromiumAvailable, launchChromium, openPage } from "./page-fixtures.js";

const MAIN = fileURLToPath(new URL("../../packages/dingbot-tools/src/cli/main.ts", import.meta.url));
/** The tracked screenshot in the READMEs and docs/demo.md: written only by `npm run screenshot`. */
const DOCS_SCREENSHOT = fileURLToPath(new URL("../../docs/screenshot-demo.png", import.meta.url));
/** Where every run puts its screenshot (ignored by git). */
const SCREENSHOT = fileURLToPath(new URL("../../.tmp/screenshot-demo.png", import.meta.url));
/** Set by `npm run screenshot`: copy the screenshot over docs/screenshot-demo.png. */
const WRITE_SCREENSHOT = process.env.DINGBOT_WRITE_SCREENSHOT === "1";

interface Snapshot {
  conversations: Array<{ conversationId: string; title: string }>;
  messages: Array<{ conversationId: string; via: string; body: { msgtype?: string } }>;
}

/** Child processes of a pid (the demo must start none that could outlive it). */
function childrenOf(pid: number): string[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("dingbot demo", () => {
  let child: ChildProcessWithoutNullStreams;
  let stdout = "";
  let stderr = "";
  let exited: Promise<number | null>;
  let pageUrl = "";

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      ["--conditions=dingbot:source", "--import", "tsx", MAIN, "demo", "--port", "0"],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      },
    );
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/open the chat page: (http:\S+)/.test(stdout)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`demo did not start:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    pageUrl = /open the chat page: (http:\S+)/.exec(stdout)![1]!;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("prints the page URL and what runs, with no credentials asked for", () => {
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(stdout).toContain("examples/answer-bot.ts");
    expect(stdout).toContain("examples/stream-bot.ts");
    expect(stdout).toContain("Ctrl-C");
    expect(stdout + stderr).not.toMatch(/secret-not-a-real-one|SECdemo/);
  });

  it("sends its sample traffic once; the bots answer and the page shows the demo group", async () => {
    // The traffic now includes an AI card streamed for ~3 s, a button press and a picture exchange.
    const deadline = Date.now() + 60_000;
    while (!stderr.includes("demo: sample traffic sent")) {
      if (Date.now() > deadline) throw new Error(`no traffic:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stderr).not.toContain("failed:");
    const snap = (await (await fetch(`${pageUrl}_emulator/snapshot`)).json()) as Snapshot;
    const ops = snap.conversations.find((c) => c.title === "运维告警群")!;
    const inOps = snap.messages.filter((m) => m.conversationId === ops.conversationId);
    expect(inOps.filter((m) => m.via === "user").length).toBeGreaterThanOrEqual(3);
    expect(inOps.map((m) => m.via)).toEqual(
      expect.arrayContaining(["webhook", "user", "inline-reply", "session-webhook"]),
    );
    expect(snap.messages.filter((m) => m.via === "work-notification").map((m) => m.body.msgtype)).toEqual([
      "oa",
    ]);

    if (!chromiumAvailable()) {
      if (WRITE_SCREENSHOT) throw new Error("npm run screenshot needs Chromium at /usr/bin/chromium");
      return;
    }
    const browser = await launchChromium();
    try {
      const { page, errors } = await openPage(browser, pageUrl.replace(/\/$/, ""), {
        width: 1280,
        height: 1000,
      });
      await page.goto(pageUrl);
      await page.waitForSelector("body[data-ready=true]");
      expect(await page.textContent("#chat-title")).toBe("运维告警群");
      // The answer bot's markdown and action card, and the stream bot's echo.
      expect(
        await page.locator('#messages li[data-via="inline-reply"] .markdown h2').first().textContent(),
      ).toContain("這是什么");
      expect(
        await page.locator('#messages li[data-msgtype="actionCard"] a.card-button').allTextContents(),
      ).toEqual(["去看看", "不感興趣"]);
      expect(await page.locator('#messages li[data-via="session-webhook"]').first().textContent()).toContain(
        "回声",
      );
      // The relay's alerts (firing, then resolved), and the refused request in the panel.
      expect(await page.locator('#messages li[data-via="webhook"] .markdown h3').allTextContents()).toEqual([
        expect.stringContaining("HighCPU"),
        expect.stringContaining("HighCPU"),
      ]);
      expect(await page.locator("#rejection-list li.rejection").getAttribute("data-reason")).toBe("keyword");
      await page.evaluate(() => document.fonts.ready);
      mkdirSync(fileURLToPath(new URL("../../.tmp/", import.meta.url)), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      if (WRITE_SCREENSHOT) copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it("stops everything on Ctrl-C and leaves no process or port behind", async () => {
    const answerUrl = /HTTP callback at (http:\S+)/.exec(stdout)?.[1];
    // Everything runs in one process; tsx may keep an esbuild service as a child, which must go with it.
    const children = childrenOf(child.pid!);
    child.kill("SIGINT");
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 15_000))]);
    expect(code).toBe(0);
    expect(stderr).toContain("demo: stopped");
    await expect.poll(() => children.filter((pid) => isAlive(Number(pid))), { timeout: 5000 }).toEqual([]);
    await expect(fetch(pageUrl)).rejects.toThrow();
    if (answerUrl) await expect(fetch(answerUrl)).rejects.toThrow();
  });
});

describe("dingbot demo, bad start", () => {
  it("explains a taken port (exit 1) and a bad --port (exit 2) without starting anything", async () => {
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const taken = await runCli(["demo", "--port", String(port)]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`port ${port} is already in use`);
      expect(taken.stderr).toContain("npm start -- --port");
      const bad = await runCli(["demo", "--port", "eighty"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--port must be a whole number");
    } finally {
      blocker.close();
    }
  });
});
