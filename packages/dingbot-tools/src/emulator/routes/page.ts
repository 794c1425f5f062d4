/**
 * The emulator's chat page: `GET /` and its static assets under `/_emulator/web/`.
 * The files live in `../web/` next to this module, so the same code works from `src/` (tsx, tests) and from
 * `dist/` (the build copies `src/emulator/web` there).
 * @module
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";
import type { RouteInstaller } from "../context.js";

/** Where the page's files are, relative to this module (src/emulator/routes or dist/emulator/routes). */
const WEB_DIR = new URL("../web/", import.meta.url);

/** The page's own scripts (ES modules in `../web/`, entry `app.js`). A new module of the page goes here. */
const PAGE_SCRIPTS = [
  "app.js",
  "card.js",
  "chat.js",
  "composer.js",
  "conversation-list.js",
  "dom.js",
  "events.js",
  "markdown.js",
  "media.js",
  "message-item.js",
  "message-list.js",
  "messages.js",
  "nav.js",
  "rejections.js",
  "render.js",
  "state.js",
  "status.js",
  "ui.js",
] as const;

const JAVASCRIPT = "text/javascript; charset=utf-8";

/** A file of `../web/`. */
const webFile = (name: string) => () => fileURLToPath(new URL(name, WEB_DIR));

/**
 * The assets the page may load, by public name. A fixed table rather than a directory listing, so no
 * request path ever reaches the file system.
 */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  ...Object.fromEntries(PAGE_SCRIPTS.map((name) => [name, { file: webFile(name), type: JAVASCRIPT }])),
  "style.css": { file: webFile("style.css"), type: "text/css; charset=utf-8" },
  // markdown-it's browser build (html:false escapes raw HTML); resolved through node's resolver so hoisted
  // and nested node_modules layouts both work.
  "markdown-it.min.js": {
    file: () => createRequire(import.meta.url).resolve("markdown-it/browser"),
    type: JAVASCRIPT,
  },
};

/**
 * The page's Content-Security-Policy: scripts and styles only from the emulator itself, so even a rendering
 * bug cannot run a message's script; images may come from anywhere, as DingTalk messages link them.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src * data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Installs `GET /` (the chat page) and `GET /_emulator/web/:name` (its assets). */
export const installPageRoutes: RouteInstaller = (app: Hono) => {
  app.get("/", async (c) => {
    const html = await readFile(fileURLToPath(new URL("index.html", WEB_DIR)), "utf8");
    return c.body(html, 200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": PAGE_CSP,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
  });
  app.get("/_emulator/web/:name", async (c) => {
    const name = c.req.param("name");
    // Own properties only: `__proto__`, `constructor` or `toString` would otherwise find Object.prototype's
    // members, which have no file() and turned the answer into a 500.
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return c.json({ error: "no such asset" }, 404);
    try {
      const content = await readFile(asset.file());
      return c.body(content, 200, {
        "content-type": asset.type,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
    } catch {
      return c.json({ error: "asset missing from this installation" }, 500);
    }
  });
};
