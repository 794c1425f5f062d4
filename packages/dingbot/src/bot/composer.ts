/**
 * The middleware algebra, in grammY's manner: each method adds a branch and returns the branch's own
 * Composer, so `bot.chatType("group").command("/deploy", handler)` reads as it runs.
 * @module
 */
import { BotError } from "../errors.js";
import type { InboundMsgtype } from "../protocol/inbound/robot-message.js";
import type { Context } from "./context.js";
import { type ChatType, hasMsgtype, isChatType, type MsgtypeContext } from "./filters.js";

/** Calls the rest of the middleware stack. */
export type NextFunction = () => Promise<void>;
/** A middleware function: do something with ctx, call next() to pass the message on. */
export type MiddlewareFn<C extends Context = Context> = (ctx: C, next: NextFunction) => unknown;
/** Anything that can produce a middleware function (a Composer, a Bot). */
export interface MiddlewareObj<C extends Context = Context> {
  middleware(): MiddlewareFn<C>;
}
/** A middleware function or object. */
export type Middleware<C extends Context = Context> = MiddlewareFn<C> | MiddlewareObj<C>;
/** Handles errors caught by {@link Composer.errorBoundary}. */
export type ErrorHandler<C extends Context = Context> = (
  error: BotError<C>,
  ctx: C,
  next: NextFunction,
) => unknown;
/** What {@link Composer.hears} matches: exact text, a pattern, or a list of either. */
export type HearsTrigger = string | RegExp | ReadonlyArray<string | RegExp>;

const pass: MiddlewareFn<Context> = (_ctx, next) => next();

/** Turns a middleware object into its function. */
function flatten<C extends Context>(mw: Middleware<C>): MiddlewareFn<C> {
  return typeof mw === "function" ? mw : (ctx, next) => mw.middleware()(ctx, next);
}

/**
 * Runs `first`, whose next() runs `then` (with the outer next). Plain functions rather than async ones:
 * every async layer costs a promise and a microtask per message, and a bot is a dozen layers deep.
 */
function concat<C extends Context>(first: MiddlewareFn<C>, then: MiddlewareFn<C>): MiddlewareFn<C> {
  return (ctx, next) => {
    let called = false;
    return first(ctx, () => {
      // A second next() would run the rest of the stack twice and send replies twice.
      if (called) return Promise.reject(new Error("next() called multiple times"));
      called = true;
      // then() runs before Promise.resolve can wrap it, so a synchronous throw must be caught here:
      // next() promises a promise, and `next().finally(...)` must see the failure as a rejection.
      try {
        return Promise.resolve(then(ctx, next)) as Promise<void>;
      } catch (error) {
        return Promise.reject(error);
      }
    });
  };
}

/** A stack of middleware with branching helpers; {@link Bot} is one. */
export class Composer<C extends Context = Context> implements MiddlewareObj<C> {
  #handler: MiddlewareFn<C>;

  /** @param middleware - the initial stack */
  constructor(...middleware: Middleware<C>[]) {
    this.#handler = middleware.length === 0 ? pass : middleware.map(flatten).reduce(concat);
  }

  /** The stack as one middleware function. */
  middleware(): MiddlewareFn<C> {
    return this.#handler;
  }

  /**
   * Adds middleware that sees every message that reaches this point.
   * @returns the new branch, for chaining
   */
  use(...middleware: Middleware<C>[]): Composer<C> {
    const composer = new Composer<C>(...middleware);
    this.#handler = concat(this.#handler, flatten(composer));
    return composer;
  }

  /**
   * Runs middleware only when the predicate holds; otherwise passes the message on.
   * A type-guard predicate narrows the context of the branch.
   */
  filter<D extends C>(predicate: (ctx: C) => ctx is D, ...middleware: Middleware<D>[]): Composer<D>;
  filter(predicate: (ctx: C) => boolean | Promise<boolean>, ...middleware: Middleware<C>[]): Composer<C>;
  filter(predicate: (ctx: C) => boolean | Promise<boolean>, ...middleware: Middleware<C>[]): Composer<C> {
    const composer = new Composer<C>(...middleware);
    this.branch(predicate, composer, pass);
    return composer;
  }

  /** Runs `onTrue` or `onFalse` depending on the predicate. */
  branch(
    predicate: (ctx: C) => boolean | Promise<boolean>,
    onTrue: Middleware<C>,
    onFalse: Middleware<C>,
  ): Composer<C> {
    const yes = flatten(onTrue);
    const no = flatten(onFalse);
    return this.use((ctx, next) => {
      const verdict = predicate(ctx);
      // Synchronous predicates (all the built-in filters) decide without a microtask.
      if (typeof verdict === "boolean") return verdict ? yes(ctx, next) : no(ctx, next);
      return verdict.then((ok) => (ok ? yes(ctx, next) : no(ctx, next)));
    });
  }

  /**
   * Handles messages of one or more msgtypes; `ctx.message` is narrowed to them.
   * @example
   * bot.on("picture", (ctx) => ctx.message.content.downloadCode);
   */
  on<T extends InboundMsgtype>(
    msgtype: T | readonly T[],
    ...middleware: Middleware<MsgtypeContext<C, T>>[]
  ): Composer<MsgtypeContext<C, T>> {
    return this.filter(hasMsgtype<C, T>(msgtype), ...middleware);
  }

  /**
   * Handles messages from one kind of chat: `"single"` (1:1, also spelt `"private"`) or `"group"`.
   */
  chatType(type: ChatType | readonly ChatType[], ...middleware: Middleware<C>[]): Composer<C> {
    const types = typeof type === "string" ? [type] : type;
    return this.filter((ctx) => types.some((t) => isChatType(ctx, t)), ...middleware);
  }

  /**
   * Handles a command: the text (after the @-mention is stripped) starts with `/name` followed by
   * a space or nothing. `ctx.match` holds the rest of the text. A name without `/` gets one.
   * @example
   * bot.command("/deploy", (ctx) => ctx.replyText(`deploying ${ctx.match}`));
   */
  command(name: string | readonly string[], ...middleware: Middleware<C>[]): Composer<C> {
    const names = (typeof name === "string" ? [name] : name).map((n) => (n.startsWith("/") ? n : `/${n}`));
    return this.filter(
      (ctx) => {
        const text = ctx.text;
        if (text === undefined) return false;
        for (const n of names) {
          if (text === n || text.startsWith(`${n} `) || text.startsWith(`${n}\n`)) {
            ctx.match = text.slice(n.length).trim();
            return true;
          }
        }
        return false;
      },
      ...middleware,
    );
  }

  /**
   * Handles messages whose text equals a string or matches a RegExp; `ctx.match` holds the string or
   * the RegExp's match array.
   * @example
   * bot.hears(/^weather (\w+)$/, (ctx) => ctx.replyText(`looking up ${ctx.match?.[1]}`));
   */
  hears(trigger: HearsTrigger, ...middleware: Middleware<C>[]): Composer<C> {
    const triggers: ReadonlyArray<string | RegExp> = Array.isArray(trigger)
      ? trigger
      : [trigger as string | RegExp];
    return this.filter(
      (ctx) => {
        const text = ctx.text;
        if (text === undefined) return false;
        for (const t of triggers) {
          if (typeof t === "string") {
            if (text === t) {
              ctx.match = t;
              return true;
            }
            continue;
          }
          // A global or sticky RegExp keeps lastIndex between messages; reset it so each message starts fresh.
          t.lastIndex = 0;
          const match = t.exec(text);
          if (match) {
            ctx.match = match;
            return true;
          }
        }
        return false;
      },
      ...middleware,
    );
  }

  /**
   * Runs middleware inside a boundary: an error thrown inside goes to `handler` (wrapped in BotError)
   * instead of up the stack; `handler(error, ctx, next)` may call next() to continue after the boundary.
   */
  errorBoundary(handler: ErrorHandler<C>, ...middleware: Middleware<C>[]): Composer<C> {
    const composer = new Composer<C>(...middleware);
    const inner = flatten(composer);
    this.use(async (ctx, next) => {
      let nextCalled = false;
      const guardedNext: NextFunction = () => {
        nextCalled = true;
        return next();
      };
      try {
        await inner(ctx, guardedNext);
      } catch (error) {
        // Errors from after the boundary (thrown by next()) belong to the outer stack.
        if (nextCalled) throw error;
        await handler(
          error instanceof BotError ? (error as BotError<C>) : new BotError(error, ctx),
          ctx,
          next,
        );
      }
    });
    return composer;
  }
}
