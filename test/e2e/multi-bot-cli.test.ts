/**
 * `dingbot serve` with several robots, as real processes against the emulator: two files (each bot named
 * after its file, credentials from DINGTALK_<NAME>_APP_KEY/_SECRET), one file default-exporting a Bots with
 * its own credentials, and one file with named Bot exports in Stream mode, where one app's refused secret is
 * reported and the others keep answering.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createEmulator, type Emulator } from "dingbot-tools/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli, startCli } from "../helpers/cli.js";
import { onlyReply, post, sayInNewChat, startStreamWorld, waitUntil } from "./stream-helpers.js";

const SESSION_TTL_MS = 300;

interface Recorded {
  via: string;
  sender: { id: string };
  body: Record<string, unknown>;
  replyTo?: string;
}

let dir: string;

/** A bot module answering "<name>: <text>", and "late" after its sessionWebhook expired. */
function botSource(name: string): string {
  return `export function make${name}() {
  const bot = new Bot();
  bot.hears("late", async (ctx) => {
    await ctx.replyText("${name}: on it");
    await new Promise((resolve) => setTimeout(resolve, ${SESSION_TTL_MS + 300}));
    await ctx.replyText("${name}: late");
  });
  bot.on("text", (ctx) => ctx.replyText(\`${name}: \${ctx.text}\`));
  return bot;
}
`;
}

function write(file: string, text: string): string {
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}

beforeAll(() => {
  mkdirSync(join(REPO_ROOT, ".tmp"), { recursive: true });
  dir = mkdtempSync(join(REPO_ROOT, ".tmp", "multi-bot-cli-"));
  write(
    "make.ts",
    ['import { Bot } from "dingbot-sdk/bot";', ...["Alpha", "Beta", "Sales", "Ops"].map(botSource)].join(
      "\n",
    ),
  );
  write("alpha.ts", 'import { makeAlpha } from "./make.ts";\nexport default makeAlpha();\n');
  write("beta.ts", 'import { makeBeta } from "./make.ts";\nexport default makeBeta();\n');
  write(
    "team.ts",
    `import { Bots } from "dingbot-sdk/bot";
import { makeAlpha, makeBeta } from "./make.ts";
export default new Bots()
  .add("front", makeAlpha(), { appKey: process.env.FRONT_KEY, appSecret: process.env.FRONT_SECRET })
  .add("back", makeBeta(), { appKey: process.env.BACK_KEY, appSecret: process.env.BACK_SECRET, path: "/hooks/back" });
`,
  );
  write(
    "pair.ts",
    'import { makeSales, makeOps } from "./make.ts";\nexport const sales = makeSales();\nexport const ops = makeOps();\n',
  );
  write(
    "named.ts",
    `import { makeSales, makeOps, makeAlpha } from "./make.ts";
export const sales = makeSales();
export const ops = makeOps();
export const revoked = makeAlpha();
export const notABot = { hello: "world" };
`,
  );
});

describe("dingbot serve with several bots over HTTP", () => {
  let emulator: Emulator;
  let base: string;
  beforeAll(async () => {
    emulator = createEmulator({ sessionTtlMs: SESSION_TTL_MS, callbackTimeoutMs: 3000 });
    base = await emulator.listen(0);
    await post(base, "/_emulator/users", { userId: "u1", name: "张三" });
  });
  afterAll(async () => {
    await emulator.close();
  });

  /** Creates an app called at url, in a group with u1; returns its robotCode and a say function. */
  async function wire(appKey: string, appSecret: string, callbackUrl: string) {
    const app = await post<{ robotCode: string }>(base, "/_emulator/apps", {
      appKey,
      appSecret,
      callbackUrl,
      mode: "http",
    });
    const conv = await post<{ conversationId: string }>(base, "/_emulator/conversations", {
      type: "group",
      members: ["u1"],
      robots: [app.robotCode],
    });
    return {
      robotCode: app.robotCode,
      say: (text: string) =>
        post<{ msgId: string; delivered: boolean; reply: Record<string, unknown> | null }>(
          base,
          `/_emulator/conversations/${encodeURIComponent(conv.conversationId)}/messages`,
          { from: "u1", text, atRobot: app.robotCode },
        ),
    };
  }

  const byReply = async (msgId: string) =>
    ((await (await fetch(`${base}/_emulator/messages`)).json()) as Recorded[]).filter(
      (m) => m.replyTo === msgId || JSON.stringify(m.body).includes(msgId),
    );

  it("`serve alpha.ts beta.ts`: one port, /alpha and /beta, each bot with its own app", async () => {
    const secrets = { alpha: "alpha-app-secret-0123456789ABCDEF", beta: "beta-app-secret-0123456789ABCDEF" };
    const serve = await startCli(
      ["serve", join(dir, "alpha.ts"), join(dir, "beta.ts"), "--port", "0"],
      {
        DINGTALK_ALPHA_APP_KEY: "dingCliAlpha",
        DINGTALK_ALPHA_APP_SECRET: secrets.alpha,
        DINGTALK_BETA_APP_KEY: "dingCliBeta",
        DINGTALK_BETA_APP_SECRET: secrets.beta,
        DINGTALK_BASE_URL: base,
      },
      /bots at (http:\/\/127\.0\.0\.1:\d+)/,
    );
    const url = serve.ready[1] as string;
    try {
      expect(serve.stderr()).toContain(`alpha: ${url}/alpha`);
      const alpha = await wire("dingCliAlpha", secrets.alpha, `${url}/alpha`);
      const beta = await wire("dingCliBeta", secrets.beta, `${url}/beta`);
      expect((await alpha.say("hi")).reply).toMatchObject({ text: { content: "Alpha: hi" } });
      expect((await beta.say("hi")).reply).toMatchObject({ text: { content: "Beta: hi" } });
      // After the sessionWebhook expired: the robot OpenAPI, with each bot's own app token and robotCode.
      await Promise.all([alpha.say("late"), beta.say("late")]);
      const lates = async () =>
        ((await (await fetch(`${base}/_emulator/messages`)).json()) as Recorded[])
          .filter((m) => m.via === "openapi")
          .map((m) => `${m.sender.id} ${(m.body.text as { content: string }).content}`)
          .sort();
      await expect
        .poll(lates, { timeout: 5000 })
        .toEqual([`${alpha.robotCode} Alpha: late`, `${beta.robotCode} Beta: late`]);
      const stranger = await fetch(`${url}/gamma`, { method: "POST", body: "{}" });
      expect(stranger.status).toBe(404);
      expect(await stranger.json()).toEqual({ error: "no robot at this path" });
      await expect
        .poll(
          () =>
            serve
              .stdout()
              .split("\n")
              .filter((l) => l.includes('"callback"')).length,
        )
        .toBeGreaterThanOrEqual(4);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    const lines = serve
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const callbacks = lines.filter((l) => l.msg === "callback");
    expect(new Set(callbacks.map((l) => l.bot))).toEqual(new Set(["alpha", "beta"]));
    const everything = serve.stdout() + serve.stderr();
    expect(everything).not.toContain(secrets.alpha);
    expect(everything).not.toContain(secrets.beta);
  });

  it("one file whose default export is a Bots, with the credentials and paths it gives", async () => {
    const env = {
      FRONT_KEY: "dingCliFront",
      FRONT_SECRET: "front-secret-0123456789ABCDEFGHIJ",
      BACK_KEY: "dingCliBack",
      BACK_SECRET: "back-secret-0123456789ABCDEFGHIJ",
      DINGTALK_BASE_URL: base,
    };
    const serve = await startCli(
      ["serve", join(dir, "team.ts"), "--port", "0"],
      env,
      /bots at (http:\/\/127\.0\.0\.1:\d+)/,
    );
    const url = serve.ready[1] as string;
    try {
      const front = await wire(env.FRONT_KEY, env.FRONT_SECRET, `${url}/front`);
      const back = await wire(env.BACK_KEY, env.BACK_SECRET, `${url}/hooks/back`);
      const a = await front.say("one");
      const b = await back.say("two");
      expect(a.reply).toMatchObject({ text: { content: "Alpha: one" } });
      expect(b.reply).toMatchObject({ text: { content: "Beta: two" } });
      expect((await byReply(b.msgId))[0]?.sender.id).toBe(back.robotCode);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it("refuses bad input with exit 2 and says what to set", async () => {
    const files = [join(dir, "alpha.ts"), join(dir, "beta.ts")];
    const missing = await runCli(["serve", ...files], { env: { DINGTALK_ALPHA_APP_SECRET: "x" } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no app secret for bot beta");
    expect(missing.stderr).toContain("DINGTALK_BETA_APP_SECRET");
    const flag = await runCli(["serve", ...files, "--app-secret", "shared-secret-value"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--app-key and --app-secret name one app");
    expect(flag.stderr).not.toContain("shared-secret-value");
    const twice = await runCli(["serve", files[0] as string, files[0] as string]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("two bots are named alpha");
    const none = await runCli(["serve", join(dir, "make.ts"), files[0] as string]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no default export that is a Bot or a Bots");
  });
});

describe("dingbot serve with several bots over Stream", () => {
  it("one file with named Bot exports: a connection per app; a refused secret is reported, the others answer", async () => {
    const world = await startStreamWorld();
    try {
      const ops = world.emulator.store.createApp({ mode: "stream", name: "运维机器人" });
      const revoked = world.emulator.store.createApp({ mode: "stream", name: "已撤销" });
      const serve = await startCli(
        ["serve", join(dir, "named.ts"), "--stream"],
        {
          DINGTALK_SALES_APP_KEY: world.app.appKey,
          DINGTALK_SALES_APP_SECRET: world.app.appSecret,
          DINGTALK_OPS_APP_KEY: ops.appKey,
          DINGTALK_OPS_APP_SECRET: ops.appSecret,
          DINGTALK_REVOKED_APP_KEY: revoked.appKey,
          DINGTALK_REVOKED_APP_SECRET: "no-longer-the-secret-0123456789",
          DINGTALK_BASE_URL: world.baseUrl,
        },
        /Stream mode[^\n]*\n(?:.*\n){3}/,
      );
      try {
        expect(serve.stderr()).toMatch(/revoked: could not start: .*/);
        expect(serve.stderr()).toMatch(/sales: Stream mode \(open\)/);
        const user = await post(world.baseUrl, "/_emulator/users", { name: "王五" });
        for (const [name, app] of [
          ["Sales", world.app],
          ["Ops", ops],
        ] as const) {
          const { conversationId, answer } = await sayInNewChat(
            world,
            user.userId as string,
            app.robotCode,
            "hello",
          );
          expect(await onlyReply(world, conversationId, answer.msgId, `${name}'s reply`)).toMatchObject({
            sender: { id: app.robotCode },
            body: { text: { content: `${name}: hello` } },
          });
        }
      } finally {
        expect(await serve.stop()).toBe(0);
      }
      expect(serve.stdout() + serve.stderr()).not.toContain(world.app.appSecret);
    } finally {
      await world.emulator.close();
    }
  });

  it("a secret revoked while it runs stops that bot only; the command exits 1 once every bot has ended", async () => {
    const world = await startStreamWorld();
    try {
      const ops = world.emulator.store.createApp({ mode: "stream", name: "运维机器人" });
      const serve = await startCli(
        ["serve", join(dir, "pair.ts"), "--stream"],
        {
          DINGTALK_SALES_APP_KEY: world.app.appKey,
          DINGTALK_SALES_APP_SECRET: world.app.appSecret,
          DINGTALK_OPS_APP_KEY: ops.appKey,
          DINGTALK_OPS_APP_SECRET: ops.appSecret,
          DINGTALK_BASE_URL: world.baseUrl,
        },
        /Stream mode[^\n]*\n(?:.*\n){2}/,
      );
      const revoke = async (appKey: string) => {
        const app = world.emulator.store.apps.get(appKey);
        if (app) app.appSecret = "rotated-in-the-console";
        await post(world.baseUrl, "/_emulator/stream/disconnect", { appKey, how: "drop" });
      };
      await revoke(ops.appKey);
      await waitUntil(() => serve.stderr().includes("bot ops stopped"), "ops to stop");
      // The other bot still answers.
      const user = await post(world.baseUrl, "/_emulator/users", { name: "赵六" });
      const conversation = await post(world.baseUrl, "/_emulator/conversations", {
        type: "single",
        members: [user.userId],
        robots: [world.app.robotCode],
      });
      const conversationId = conversation.conversationId as string;
      const answer = await post(
        world.baseUrl,
        `/_emulator/conversations/${encodeURIComponent(conversationId)}/messages`,
        { from: user.userId, text: "still there?" },
      );
      const replies = () =>
        world.emulator.store.listMessages({ conversationId }).filter((m) => m.replyTo === answer.msgId);
      await waitUntil(() => replies().length === 1, "sales's reply");
      expect(replies()[0]?.body).toMatchObject({ text: { content: "Sales: still there?" } });
      await revoke(world.app.appKey);
      expect(await serve.exited).toBe(1);
      expect(serve.stderr()).toContain("every bot's connection ended");
      expect(serve.stderr()).not.toContain("rotated-in-the-console");
    } finally {
      await world.emulator.close();
    }
  });
});
