import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CardServer, PERMISSION_REFUSAL, QPS_REFUSAL, startCardServer } from "../client/_card-server.js";
import { AppClient } from "../client/app-client.js";
import type { CardData, CardHandle } from "../client/cards.js";
import { ApiError, RateLimitedError } from "../errors.js";
import { AI_CARD_TEMPLATE_ID } from "../protocol/api/cards.js";
import type { InboundMessage } from "../protocol/inbound/robot-message.js";
import { groupText, recordingResponder, T0, updateOf } from "./_fixtures.js";
import { Bot, type BotOptions } from "./bot.js";
import {
  AI_CARD_FALLBACK_NOTE,
  AI_CARD_OVERFLOW_NOTE,
  CardStreamer,
  CardStreamRefusedError,
  DEFAULT_STREAM_ERROR_LINE,
  MARKDOWN_PART_MAX_BYTES,
  type StreamTimer,
  streamAiCard,
  streamAiCardTo,
} from "./card-stream.js";
import type { Context } from "./context.js";

/** A clock that moves only when the test says: timers run in order, microtasks drain between them. */
class ManualTimer implements StreamTimer {
  t = 0;
  #queue: { at: number; fn: () => void; id: number }[] = [];
  #ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.#ids += 1;
    this.#queue.push({ at: this.t + Math.max(0, ms), fn, id: this.#ids });
    return this.#ids;
  }
  clearTimeout(handle: unknown): void {
    this.#queue = this.#queue.filter((entry) => entry.id !== handle);
  }
  /** Waits with the fake clock (for sources that take time between chunks). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
  /** Runs timers in time order until `promise` settles. */
  async runUntil<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    for (let steps = 0; steps < 1_000_000; steps += 1) {
      await flush();
      if (settled) return watched;
      this.#queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#queue.shift();
      if (!next) throw new Error("stuck: nothing scheduled and the promise is pending");
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    throw new Error("runaway");
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A card that records what it is sent; each call takes `latencyMs` on the fake clock and may be refused. */
class FakeCard implements CardHandle {
  readonly outTrackId = "track-fake";
  readonly calls: {
    kind: "update" | "stream";
    at: number;
    data?: CardData;
    content?: string;
    flags?: object;
  }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Errors for the next stream calls, in order. */
  streamRefusals: unknown[] = [];
  constructor(
    private readonly timer: ManualTimer,
    private readonly latencyMs = 50,
  ) {}
  get streams() {
    return this.calls.filter((c) => c.kind === "stream");
  }
  async update(data: CardData): Promise<void> {
    await this.#call({ kind: "update", at: this.timer.now(), data });
  }
  async streamContent(_key: string, content: string, flags: object): Promise<void> {
    await this.#call({ kind: "stream", at: this.timer.now(), content, flags });
    const refusal = this.streamRefusals.shift();
    if (refusal) throw refusal;
  }
  async #call(entry: FakeCard["calls"][number]): Promise<void> {
    this.calls.push(entry);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await this.timer.sleep(this.latencyMs);
    this.inFlight -= 1;
  }
}

async function* tokens(
  timer: ManualTimer,
  count: number,
  everyMs: number,
  fail?: Error,
): AsyncGenerator<string> {
  for (let i = 0; i < count; i += 1) {
    await timer.sleep(everyMs);
    yield `t${i} `;
  }
  if (fail) throw fail;
}
const whole = (count: number) => Array.from({ length: count }, (_, i) => `t${i} `).join("");

const qps = () =>
  new RateLimitedError({
    status: 403,
    apiCode: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    errmsg: "qps",
    endpoint: "PUT /v1.0/card/streaming",
    kind: "rate-limit",
  });

describe("CardStreamer", () => {
  it("never has two requests in flight, starts at most one per minIntervalMs, and ends with the whole text", async () => {
    const timer = new ManualTimer();
    const card = new FakeCard(timer, 120); // slower than the interval: requests must wait for each other
    const streamer = new CardStreamer((content, flags) => card.streamContent("msgContent", content, flags), {
      timer,
      minIntervalMs: 300,
    });
    streamer.start();
    const run = (async () => {
      for await (const token of tokens(timer, 200, 7)) streamer.push(token);
      await streamer.finish();
    })();
    await timer.runUntil(run);

    const streams = card.streams;
    expect(card.maxInFlight).toBe(1);
    for (let i = 1; i < streams.length; i += 1) {
      expect(streams[i]!.at - streams[i - 1]!.at).toBeGreaterThanOrEqual(300);
    }
    // 200 tokens over 1.4 s coalesce into a handful of requests, not 200.
    expect(streams.length).toBeLessThanOrEqual(Math.ceil(1400 / 300) + 2);
    expect(streams.at(-1)).toMatchObject({
      content: whole(200),
      flags: { isFinalize: true, isError: false },
    });
    expect(streams.slice(0, -1).every((s) => (s.flags as { isFinalize: boolean }).isFinalize === false)).toBe(
      true,
    );
    // Every snapshot is a prefix of the next: always the latest full text.
    for (let i = 1; i < streams.length; i += 1)
      expect(streams[i]!.content!.startsWith(streams[i - 1]!.content!)).toBe(true);
  });

  it("sends a 1 MiB answer in a few full snapshots, never a request per chunk", async () => {
    const timer = new ManualTimer();
    const card = new FakeCard(timer, 40);
    const streamer = new CardStreamer((content, flags) => card.streamContent("msgContent", content, flags), {
      timer,
    });
    streamer.start();
    const chunk = "x".repeat(1024);
    const run = (async () => {
      for (let i = 0; i < 1024; i += 1) {
        streamer.push(chunk);
        if (i % 128 === 127) await timer.sleep(100);
      }
      await streamer.finish();
    })();
    await timer.runUntil(run);
    const sent = card.streams.map((s) => s.content!.length);
    expect(sent.at(-1)).toBe(1024 * 1024);
    expect(streamer.text.length).toBe(1024 * 1024);
    // ~0.8 s of pushing at one request per 300 ms: a handful of requests, about 3 MiB on the wire in all,
    // against the 512 MiB that one growing snapshot per chunk would have sent.
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it("retries a refused request with the latest text, then gives up with CardStreamRefusedError", async () => {
    const timer = new ManualTimer();
    const card = new FakeCard(timer, 10);
    card.streamRefusals = [qps(), qps(), qps()];
    const streamer = new CardStreamer((content, flags) => card.streamContent("msgContent", content, flags), {
      timer,
      retry: { retries: 2, baseDelayMs: 1000, maxDelayMs: 4000 },
    });
    streamer.start();
    streamer.push("a");
    const run = (async () => {
      await timer.sleep(500);
      streamer.push("b");
      await streamer.finish();
    })();
    await expect(timer.runUntil(run)).rejects.toBeInstanceOf(CardStreamRefusedError);
    const streams = card.streams;
    expect(streams).toHaveLength(3);
    expect(streams.map((s) => s.at)).toEqual([0, 1010, 3020]);
    expect(streams[1]!.content).toBe("ab"); // the retry carried the text as it was then
    expect(streamer.refused).toBeInstanceOf(RateLimitedError);
  });

  it("does not spend the budget on a refusal that cannot mend (missing permission)", async () => {
    const timer = new ManualTimer();
    const card = new FakeCard(timer, 10);
    card.streamRefusals = [
      new ApiError({
        status: 403,
        apiCode: "Forbidden.AccessDenied.AccessTokenPermissionDenied",
        errmsg: "",
        endpoint: "x",
        kind: "config",
      }),
    ];
    const streamer = new CardStreamer((content, flags) => card.streamContent("k", content, flags), { timer });
    streamer.start();
    streamer.push("a");
    await expect(timer.runUntil(streamer.finish())).rejects.toBeInstanceOf(CardStreamRefusedError);
    expect(card.streams).toHaveLength(1);
  });

  it("buffers until start(), then sends at once", async () => {
    const timer = new ManualTimer();
    const card = new FakeCard(timer, 10);
    const streamer = new CardStreamer((content, flags) => card.streamContent("k", content, flags), { timer });
    streamer.push("early ");
    streamer.push("text");
    await flush();
    expect(card.streams).toHaveLength(0);
    streamer.start();
    expect(card.streams).toEqual([expect.objectContaining({ content: "early text", at: 0 })]);
    await timer.runUntil(streamer.finish());
  });
});

describe("streamAiCard()", () => {
  function setup(latencyMs = 30) {
    const timer = new ManualTimer();
    const card = new FakeCard(timer, latencyMs);
    const opened: CardData[] = [];
    const fallbacks: { title: string; text: string }[] = [];
    let openRefusals: unknown[] = [];
    const deps = {
      timer,
      open: async (data: CardData) => {
        opened.push(data);
        await timer.sleep(latencyMs);
        const refusal = openRefusals.shift();
        if (refusal) throw refusal;
        return card;
      },
      fallback: async (title: string, text: string) => {
        fallbacks.push({ title, text });
      },
    };
    return {
      timer,
      card,
      opened,
      fallbacks,
      deps,
      refuseOpen: (errors: unknown[]) => (openRefusals = errors),
    };
  }

  it("opens the card processing, streams inputting, and finishes with flowStatus 3", async () => {
    const { timer, card, opened, deps } = setup();
    const result = await timer.runUntil(streamAiCard(tokens(timer, 50, 11), deps, { title: "Answer" }));
    expect(result).toMatchObject({ via: "card", outTrackId: "track-fake" });
    expect(opened).toEqual([{ msgTitle: "Answer", msgContent: "", flowStatus: "1" }]);
    const updates = card.calls.filter((c) => c.kind === "update").map((c) => c.data);
    expect(updates).toEqual([{ flowStatus: "2" }, { flowStatus: "3" }]);
    expect(card.streams.at(-1)).toMatchObject({ content: whole(50), flags: { isFinalize: true } });
    expect(card.calls.at(-1)?.data).toEqual({ flowStatus: "3" });
    expect(card.maxInFlight).toBe(1);
  });

  it("accepts a string and a ReadableStream", async () => {
    for (const source of [
      "all at once",
      new ReadableStream<string>({
        start(controller) {
          controller.enqueue("all ");
          controller.enqueue("at once");
          controller.close();
        },
      }),
    ]) {
      const { timer, card, deps } = setup();
      await timer.runUntil(streamAiCard(source, deps));
      // The source ended before the card was open: one finalising request carries it all.
      expect(card.streams).toEqual([
        expect.objectContaining({ content: "all at once", flags: { isFinalize: true, isError: false } }),
      ]);
    }
  });

  it("a source that throws ends the card with flowStatus 5 and a short error line, then rethrows", async () => {
    const { timer, card, deps } = setup();
    const boom = new Error("model crashed: secret-internal-detail");
    const outcome = timer.runUntil(streamAiCard(tokens(timer, 5, 10, boom), deps));
    await expect(outcome).rejects.toBe(boom);
    const last = card.streams.at(-1);
    expect(last?.content).toBe(`${whole(5)}\n\n${DEFAULT_STREAM_ERROR_LINE}`);
    expect(last?.content).not.toContain("secret-internal-detail");
    expect(last?.flags).toMatchObject({ isFinalize: true });
    expect(card.calls.at(-1)?.data).toEqual({ flowStatus: "5" });
  });

  it("403 QPS on streaming: retries within the budget, then one markdown reply with the whole text", async () => {
    const { timer, card, fallbacks, deps } = setup();
    card.streamRefusals = [qps(), qps(), qps()];
    const result = await timer.runUntil(
      streamAiCard(tokens(timer, 20, 10), deps, { title: "T", retry: { retries: 2, baseDelayMs: 100 } }),
    );
    expect(result.via).toBe("markdown");
    expect(card.streams).toHaveLength(3);
    expect(fallbacks).toEqual([{ title: "T", text: whole(20) }]);
  });

  it("a card refused at creation: retries, then the whole text as markdown; a throwing source still rethrows", async () => {
    const { timer, card, fallbacks, deps, refuseOpen } = setup();
    refuseOpen([qps(), qps(), qps()]);
    const result = await timer.runUntil(streamAiCard(tokens(timer, 10, 5), deps));
    expect(result).toEqual({ via: "markdown", outTrackId: undefined, requests: 0, messages: 1 });
    expect(card.calls).toHaveLength(0);
    expect(fallbacks).toEqual([{ title: "回复", text: whole(10) }]);

    const second = setup();
    second.refuseOpen([qps(), qps(), qps()]);
    const boom = new Error("x");
    await expect(
      second.timer.runUntil(streamAiCard(tokens(second.timer, 2, 5, boom), second.deps)),
    ).rejects.toBe(boom);
    expect(second.fallbacks[0]?.text).toBe(`${whole(2)}\n\n${DEFAULT_STREAM_ERROR_LINE}`);
  });
});

describe("streamAiCard() over HTTP", () => {
  let server: CardServer;
  let client: AppClient;
  beforeAll(async () => {
    server = await startCardServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.calls.length = 0;
    server.script.clear();
    client = new AppClient({
      appKey: "dingappkey",
      appSecret: "secret-0123456789",
      baseUrl: server.base,
      env: {},
      throttleRetry: { retries: 0 },
    });
  });
  const deps = (fallbacks: string[]) => ({
    open: (data: CardData) =>
      client.cards.send({ templateId: AI_CARD_TEMPLATE_ID, data, to: { group: "cidG==" } }),
    fallback: async (_title: string, text: string) => {
      fallbacks.push(text);
    },
  });

  it("speaks the card endpoints in order: createAndDeliver, update 2, streaming…, update 3", async () => {
    const fallbacks: string[] = [];
    async function* slow() {
      for (const t of ["Hello", ", ", "world"]) {
        await new Promise((r) => setTimeout(r, 15));
        yield t;
      }
    }
    const result = await streamAiCard(slow(), deps(fallbacks), { minIntervalMs: 10 });
    expect(result.via).toBe("card");
    const routes = server.calls.map((c) => `${c.method} ${c.path}`);
    expect(routes[0]).toBe("POST /v1.0/card/instances/createAndDeliver");
    expect(server.calls[0]?.body).toMatchObject({
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      cardData: { cardParamMap: { msgContent: "", flowStatus: "1" } },
    });
    expect(server.calls[1]?.body).toMatchObject({ cardData: { cardParamMap: { flowStatus: "2" } } });
    const streams = server.callsTo("PUT /v1.0/card/streaming").map((c) => c.body);
    expect(streams.at(-1)).toMatchObject({
      key: "msgContent",
      content: "Hello, world",
      isFull: true,
      isFinalize: true,
    });
    expect(new Set(streams.map((s) => s.guid)).size).toBe(streams.length);
    expect(server.calls.at(-1)?.body).toMatchObject({
      cardData: { cardParamMap: { flowStatus: "3" } },
      cardUpdateOptions: { updateCardDataByKey: true },
    });
    expect(fallbacks).toEqual([]);
  });

  it("403 QPS from DingTalk on every streaming call: three tries, then the markdown fallback", async () => {
    server.script.set("PUT /v1.0/card/streaming", [QPS_REFUSAL, QPS_REFUSAL, QPS_REFUSAL]);
    const fallbacks: string[] = [];
    const result = await streamAiCard("the whole answer", deps(fallbacks), {
      minIntervalMs: 1,
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    expect(result.via).toBe("markdown");
    expect(server.callsTo("PUT /v1.0/card/streaming")).toHaveLength(3);
    expect(fallbacks).toEqual(["the whole answer"]);
  });

  it("a card whose streaming was refused is marked failed (flowStatus 5) beside the fallback", async () => {
    server.script.set("PUT /v1.0/card/streaming", [QPS_REFUSAL, QPS_REFUSAL]);
    const fallbacks: string[] = [];
    const result = await streamAiCard("the whole answer", deps(fallbacks), {
      minIntervalMs: 1,
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 },
    });
    expect(result).toMatchObject({ via: "markdown", messages: 1 });
    expect(fallbacks).toEqual(["the whole answer"]);
    expect(server.callsTo("PUT /v1.0/card/instances").at(-1)?.body).toMatchObject({
      cardData: { cardParamMap: { flowStatus: "5", msgContent: AI_CARD_FALLBACK_NOTE } },
      cardUpdateOptions: { updateCardDataByKey: true },
    });
  });

  it("a refused 'failed' update never fails the fallback", async () => {
    server.script.set("PUT /v1.0/card/streaming", [PERMISSION_REFUSAL]);
    server.script.set("PUT /v1.0/card/instances", [
      { status: 200, body: { success: true, result: true } },
      PERMISSION_REFUSAL,
    ]);
    const fallbacks: string[] = [];
    const result = await streamAiCard("answer", deps(fallbacks), { minIntervalMs: 1 });
    expect(result.via).toBe("markdown");
    expect(fallbacks).toEqual(["answer"]);
    expect(server.callsTo("PUT /v1.0/card/instances")).toHaveLength(2);
  });

  it("a text longer than the card holds: the card gets its head and a note, messages the rest", async () => {
    const paragraph = (i: number) => `第${i}段 ${"字".repeat(200)}\n\n`;
    const whole = Array.from({ length: 60 }, (_, i) => paragraph(i)).join("");
    const fallbacks: string[] = [];
    const result = await streamAiCard(
      Array.from({ length: Math.ceil(whole.length / 500) }, (_, i) => whole.slice(i * 500, (i + 1) * 500)),
      deps(fallbacks),
      {
        minIntervalMs: 1,
        cardMaxBytes: 5000,
      },
    );
    expect(result.via).toBe("card");
    const last = server.callsTo("PUT /v1.0/card/streaming").at(-1)?.body;
    expect(last).toMatchObject({ isFinalize: true });
    const content = String(last?.content);
    expect(Buffer.byteLength(JSON.stringify(content)) - 2).toBeLessThanOrEqual(5000);
    expect(content.endsWith(AI_CARD_OVERFLOW_NOTE)).toBe(true);
    const head = content.slice(0, -AI_CARD_OVERFLOW_NOTE.length);
    expect(head.endsWith("\n\n")).toBe(true);
    expect(result.messages).toBe(fallbacks.length);
    expect(head + fallbacks.join("")).toBe(whole);
    // Once full, the card was not sent the same head again for every new chunk.
    const streams = server.callsTo("PUT /v1.0/card/streaming").map((c) => String(c.body.content));
    expect(streams.filter((c) => c.endsWith(AI_CARD_OVERFLOW_NOTE)).length).toBeLessThanOrEqual(2);
  });

  it("a fallback longer than one message goes out in parts within MARKDOWN_PART_MAX_BYTES", async () => {
    server.script.set("POST /v1.0/card/instances/createAndDeliver", [PERMISSION_REFUSAL]);
    const whole = Array.from({ length: 400 }, (_, i) => `line ${i} ${"x".repeat(100)}\n`).join("");
    const fallbacks: string[] = [];
    const result = await streamAiCard(whole, deps(fallbacks));
    expect(result).toMatchObject({ via: "markdown", messages: fallbacks.length });
    expect(fallbacks.length).toBeGreaterThan(2);
    expect(fallbacks.join("")).toBe(whole);
    for (const part of fallbacks)
      expect(Buffer.byteLength(part)).toBeLessThanOrEqual(MARKDOWN_PART_MAX_BYTES);
  });

  it("a missing card permission at creation falls back at once", async () => {
    server.script.set("POST /v1.0/card/instances/createAndDeliver", [PERMISSION_REFUSAL]);
    const fallbacks: string[] = [];
    const result = await streamAiCard("answer", deps(fallbacks), { retry: { baseDelayMs: 1 } });
    expect(result.via).toBe("markdown");
    expect(server.calls).toHaveLength(1);
    expect(fallbacks).toEqual(["answer"]);
  });
});

describe("ctx.replyStream() and ctx.replyCard()", () => {
  let server: CardServer;
  beforeAll(async () => {
    server = await startCardServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.calls.length = 0;
    server.script.clear();
  });
  const botOf = (extra: Partial<BotOptions> = {}) =>
    new Bot({
      appKey: "dingappkey",
      appSecret: "secret-0123456789",
      baseUrl: server.base,
      now: () => T0,
      ...extra,
    });

  async function run(bot: Bot, message: InboundMessage, handler: (ctx: Context) => unknown) {
    let result: unknown;
    bot.use(async (ctx) => {
      result = await handler(ctx);
    });
    const responder = recordingResponder();
    await bot.handleUpdate(updateOf(message), responder);
    return { result, inline: responder.inline };
  }

  it("streams into an AI card in the group, posted by the message's robot", async () => {
    async function* answer() {
      yield "Hello";
      await new Promise((r) => setTimeout(r, 10));
      yield " there";
    }
    const { result, inline } = await run(botOf(), groupText("hi"), (ctx) =>
      ctx.replyStream(answer(), { title: "AI", minIntervalMs: 5 }),
    );
    expect(result).toMatchObject({ via: "card" });
    expect(inline).toEqual([]);
    const [create] = server.callsTo("POST /v1.0/card/instances/createAndDeliver");
    expect(create?.body).toMatchObject({
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      openSpaceId: "dtv1.card//IM_GROUP.cidAsXSBLnA==",
      imGroupOpenDeliverModel: { robotCode: "dingxxxxr3xc0b" },
      cardData: { cardParamMap: { msgTitle: "AI", flowStatus: "1" } },
    });
    expect(server.callsTo("PUT /v1.0/card/streaming").at(-1)?.body).toMatchObject({
      content: "Hello there",
      isFinalize: true,
    });
  });

  it("sends a 1:1 card to the sender's userId", async () => {
    await run(botOf(), groupText("hi", { conversationType: "1" }), (ctx) => ctx.replyStream("ok"));
    expect(server.calls[0]?.body).toMatchObject({
      openSpaceId: "dtv1.card//IM_ROBOT.user123",
      imRobotOpenDeliverModel: { spaceType: "IM_ROBOT" },
    });
  });

  it("falls back to one markdown reply when the app lacks the card permission", async () => {
    server.script.set("POST /v1.0/card/instances/createAndDeliver", [PERMISSION_REFUSAL]);
    const { result, inline } = await run(botOf(), groupText("hi"), (ctx) =>
      ctx.replyStream(["a", "b", "c"], { title: "T" }),
    );
    expect(result).toMatchObject({ via: "markdown" });
    expect(inline).toEqual([{ msgtype: "markdown", markdown: { title: "T", text: "abc" } }]);
  });

  it("403 QPS on every streaming call: retries, then the whole text as markdown", async () => {
    const client = new AppClient({
      appKey: "dingappkey",
      appSecret: "secret-0123456789",
      baseUrl: server.base,
      env: {},
      throttleRetry: { retries: 0 },
    });
    server.script.set("PUT /v1.0/card/streaming", [QPS_REFUSAL, QPS_REFUSAL, QPS_REFUSAL]);
    const { result, inline } = await run(botOf({ cards: client.cards }), groupText("hi"), (ctx) =>
      ctx.replyStream("the whole answer", { retry: { baseDelayMs: 1, maxDelayMs: 2 }, minIntervalMs: 1 }),
    );
    expect(result).toMatchObject({ via: "markdown" });
    expect(server.callsTo("PUT /v1.0/card/streaming")).toHaveLength(3);
    expect(inline).toEqual([{ msgtype: "markdown", markdown: { title: "回复", text: "the whole answer" } }]);
  });

  it("retries a throttled creation with the same outTrackId, so the card cannot appear twice", async () => {
    const client = new AppClient({
      appKey: "dingappkey",
      appSecret: "secret-0123456789",
      baseUrl: server.base,
      env: {},
      throttleRetry: { retries: 0 },
    });
    server.script.set("POST /v1.0/card/instances/createAndDeliver", [QPS_REFUSAL]);
    const { result } = await run(botOf({ cards: client.cards }), groupText("hi"), (ctx) =>
      ctx.replyStream("answer", { retry: { baseDelayMs: 1, maxDelayMs: 2 } }),
    );
    expect(result).toMatchObject({ via: "card" });
    const creations = server
      .callsTo("POST /v1.0/card/instances/createAndDeliver")
      .map((c) => c.body.outTrackId);
    expect(creations).toHaveLength(2);
    expect(creations[0]).toBe(creations[1]);
    expect(server.callsTo("PUT /v1.0/card/streaming").every((c) => c.body.outTrackId === creations[0])).toBe(
      true,
    );
  });

  it("without credentials, or for an external 1:1 sender, the answer still goes out as markdown", async () => {
    const noCreds = await run(new Bot({ now: () => T0 }), groupText("hi"), (ctx) => ctx.replyStream("plain"));
    expect(noCreds.inline).toEqual([{ msgtype: "markdown", markdown: { title: "回复", text: "plain" } }]);
    const external = await run(
      botOf(),
      groupText("hi", { conversationType: "1", senderStaffId: undefined }),
      (ctx) => ctx.replyStream("plain"),
    );
    expect(external.inline).toHaveLength(1);
    expect(server.calls).toHaveLength(0);
  });

  it("replyCard sends any template and returns a handle that updates and streams", async () => {
    await run(botOf(), groupText("hi"), async (ctx) => {
      const card = await ctx.replyCard({ templateId: "tpl.schema", data: { status: "running" } });
      await card.update({ status: "done" });
      await card.stream("log", ["line 1\n", "line 2\n"], { minIntervalMs: 1 });
    });
    const routes = server.calls.map((c) => `${c.method} ${c.path}`);
    expect(routes.slice(0, 2)).toEqual([
      "POST /v1.0/card/instances/createAndDeliver",
      "PUT /v1.0/card/instances",
    ]);
    // Both lines may arrive in one snapshot or two; either way only streaming calls follow.
    expect(routes.slice(2).every((r) => r === "PUT /v1.0/card/streaming")).toBe(true);
    expect(server.callsTo("PUT /v1.0/card/streaming").at(-1)?.body).toMatchObject({
      key: "log",
      content: "line 1\nline 2\n",
      isFinalize: true,
    });
  });
});

describe("streamAiCardTo() (outside a bot)", () => {
  let server: CardServer;
  beforeAll(async () => {
    server = await startCardServer();
  });
  afterAll(() => server.close());

  it("falls back to a robot OpenAPI markdown message when the card is refused", async () => {
    server.script.set("POST /v1.0/card/instances/createAndDeliver", [PERMISSION_REFUSAL]);
    const client = new AppClient({ appKey: "k", appSecret: "s-0123456789", baseUrl: server.base, env: {} });
    const result = await streamAiCardTo(client, { group: "cidG==" }, "nightly summary", { title: "Nightly" });
    expect(result.via).toBe("markdown");
    const send = server.calls.find((c) => c.path === "/v1.0/robot/groupMessages/send");
    expect(send?.body).toMatchObject({
      openConversationId: "cidG==",
      msgKey: "sampleMarkdown",
      msgParam: JSON.stringify({ title: "Nightly", text: "nightly summary" }),
    });
  });
});
