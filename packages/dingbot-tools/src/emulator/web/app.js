// The emulator's chat page. Plain browser JavaScript, no build step.
// Safety rule: message content is put into the page with textContent / DOM nodes only. The one exception is
// markdown, rendered by markdown-it with html:false (raw HTML is escaped, unsafe link schemes refused), and
// the page's Content-Security-Policy forbids inline scripts anyway.

(() => {
  // ---------------------------------------------------------------- state

  /** Messages drawn at first per conversation; "show earlier" adds this many more. */
  const PAGE_SIZE = 500;

  const state = {
    /** @type {Map<string, any>} conversationId → conversation */
    conversations: new Map(),
    /** @type {Map<string, any>} userId → user */
    users: new Map(),
    /** @type {Map<string, any>} robotCode → app */
    apps: new Map(),
    /** @type {any[]} custom (webhook) robots, without tokens */
    robots: [],
    /** @type {any[]} every message, oldest first */
    messages: [],
    /** @type {Set<string>} */
    messageIds: new Set(),
    /** @type {any[]} */
    rejections: [],
    /** @type {Set<string>} */
    rejectionIds: new Set(),
    /** @type {string | null} */
    selected: null,
    /** @type {Map<string, number>} conversationId → unread count */
    unread: new Map(),
    /** Events that arrived while a snapshot was loading; replayed after it. @type {any[] | null} */
    buffered: null,
    /** How many of the selected conversation's newest messages are drawn. */
    shown: PAGE_SIZE,
  };

  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const ui = {
    connection: $("connection"),
    toggle: $("toggle-conversations"),
    nav: $("conversations"),
    list: $("conversation-list"),
    noConversations: $("no-conversations"),
    title: $("chat-title"),
    subtitle: $("chat-subtitle"),
    messages: $("messages"),
    composer: /** @type {HTMLFormElement} */ ($("composer")),
    from: /** @type {HTMLSelectElement} */ ($("composer-from")),
    robot: /** @type {HTMLSelectElement} */ ($("composer-robot")),
    text: /** @type {HTMLTextAreaElement} */ ($("composer-text")),
    send: /** @type {HTMLButtonElement} */ ($("composer-send")),
    status: $("composer-status"),
    rejectionList: $("rejection-list"),
    showRaw: /** @type {HTMLInputElement} */ ($("show-raw")),
    rejectionCount: $("rejection-count"),
  };

  // The message list scrolls: it must be reachable with Tab so keyboard users can scroll it (WCAG 2.1.1).
  ui.messages.tabIndex = 0;

  // ---------------------------------------------------------------- small DOM helpers

  /**
   * Creates an element with attributes and children. Strings become text nodes, never HTML.
   * @param {string} tag
   * @param {Record<string, string | boolean | undefined | null>} [attrs]
   * @param {...(Node | string | null | undefined | false)} children
   */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") el.className = String(value);
      // Through the CSSOM: the page's CSP refuses style attributes, not style properties set from script.
      else if (key === "style") el.style.cssText = String(value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      el.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  /** A string field of an object, or "" (message bodies come from anyone and may be any shape). */
  function str(obj, key) {
    const value = obj && typeof obj === "object" ? obj[key] : undefined;
    return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
  }

  /** Only these schemes become links; anything else (javascript:, data:…) is shown as plain text. */
  function safeUrl(url) {
    if (typeof url !== "string" || url.trim() === "") return null;
    try {
      // Absolute URLs only: a relative one (or a DingTalk media id such as "@lAD…") would point at the emulator.
      const parsed = new URL(url.trim());
      return ["http:", "https:", "dingtalk:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
    } catch {
      return null;
    }
  }

  /** Image sources: http(s) and data:image; DingTalk media ids (`@lAD…`) have no URL here. */
  function safeImageUrl(url) {
    if (typeof url !== "string") return null;
    if (/^data:image\/(png|jpeg|gif|webp);/i.test(url)) return url;
    const safe = safeUrl(url);
    return safe && /^https?:/.test(safe) ? safe : null;
  }

  /** A link that opens outside the page, or the text alone when the URL is unsafe. */
  function link(url, attrs, ...children) {
    const href = safeUrl(url);
    if (!href) return h("span", { class: `${attrs?.class ?? ""} unsafe-link`.trim() }, ...children);
    return h("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer" }, ...children);
  }

  /** An image, or a grey box naming the media id / broken URL. */
  function image(url, alt, cls) {
    const src = safeImageUrl(url);
    if (!src) {
      // Thumbnails are too small for the media id: an icon, with the id in the tooltip and the label.
      const small = /link-card-pic|feed-pic/.test(cls ?? "");
      const label = alt || url || "图片";
      return h(
        "span",
        {
          class: `${cls ?? ""} media-placeholder`.trim(),
          role: "img",
          "aria-label": label,
          title: String(url ?? ""),
        },
        small ? "🖼" : `🖼 ${label}`,
      );
    }
    return h("img", { class: cls, src, alt: alt || "", loading: "lazy", referrerpolicy: "no-referrer" });
  }

  // ---------------------------------------------------------------- people, robots, avatars

  const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

  /** DingTalk's avatar text: the last two characters of a Chinese name, or Latin initials. */
  function initials(name, { first = false } = {}) {
    // Groups: "运维告警群" → "运维" (the head of a group's name says what it is about).
    if (first && CJK.test(String(name)))
      return Array.from(String(name).replace(/\s+/g, "")).slice(0, 2).join("");
    // "告警机器人" → "告警": DingTalk robots are mostly named "…机器人", whose last two characters say nothing.
    const clean =
      String(name || "?")
        .trim()
        .replace(/(机器人|机器|bot)$/i, "") || String(name || "?").trim();
    if (CJK.test(clean)) return Array.from(clean.replace(/\s+/g, "")).slice(-2).join("");
    const words = clean.split(/[\s._-]+/).filter(Boolean);
    const letters = words.length > 1 ? words[0][0] + words[1][0] : clean.slice(0, 2);
    return letters.toUpperCase();
  }

  const AVATAR_COLOURS = [
    "#3296fa",
    "#15bc83",
    "#ff943e",
    "#f25643",
    "#8f66ff",
    "#00b8d4",
    "#5c6bc0",
    "#e66aa4",
  ];

  function colourFor(key) {
    let hash = 0;
    for (const ch of String(key)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
  }

  function avatar(sender) {
    const isBot = sender.kind !== "user";
    return h(
      "span",
      {
        class: `avatar${isBot ? " avatar-bot" : ""}`,
        "aria-hidden": "true",
        style: `--avatar:${colourFor(sender.id || sender.name)}`,
      },
      initials(sender.name),
    );
  }

  function robotName(robotCode) {
    const app = state.apps.get(robotCode);
    if (app) return app.name;
    // Work notifications arrive in a 1:1 keyed by the app's agentId, not by a robot.
    const work = /^work-notification:(\d+)$/.exec(String(robotCode));
    if (work) {
      const owner = [...state.apps.values()].find((a) => String(a.agentId) === work[1]);
      return `${owner ? owner.name : work[1]}（工作通知）`;
    }
    return robotCode;
  }

  // ---------------------------------------------------------------- mentions

  /**
   * The @-mentions of a message: what literally appears in the text → what DingTalk shows.
   * DingTalk shows `@<mobile>` of a member as `@<name>`.
   */
  function mentionsOf(body) {
    /** @type {Map<string, string>} */
    const map = new Map();
    const at = body && typeof body.at === "object" && body.at ? body.at : {};
    for (const mobile of Array.isArray(at.atMobiles) ? at.atMobiles : []) {
      const user = [...state.users.values()].find((u) => u.mobile === String(mobile));
      map.set(`@${mobile}`, `@${user ? user.name : mobile}`);
    }
    for (const userId of Array.isArray(at.atUserIds) ? at.atUserIds : []) {
      const user = state.users.get(String(userId));
      map.set(`@${userId}`, `@${user ? user.name : userId}`);
    }
    map.set("@所有人", "@所有人");
    if (at.isAtAll === true || at.isAtAll === "true") map.set("@all", "@所有人");
    for (const user of state.users.values()) map.set(`@${user.name}`, `@${user.name}`);
    for (const app of state.apps.values()) map.set(`@${app.name}`, `@${app.name}`);
    return map;
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /** Wraps every mention inside `root`'s text nodes in a highlighted span (DOM only, no HTML strings). */
  function highlightMentions(root, mentions) {
    const keys = [...mentions.keys()].filter((k) => k.length > 1).sort((a, b) => b.length - a.length);
    if (keys.length === 0) return;
    const pattern = new RegExp(keys.map(escapeRegExp).join("|"), "g");
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    /** @type {Text[]} */
    const nodes = [];
    while (walker.nextNode()) nodes.push(/** @type {Text} */ (walker.currentNode));
    for (const node of nodes) {
      if (node.parentElement?.closest("a, code, .mention")) continue;
      const text = node.data;
      pattern.lastIndex = 0;
      if (!pattern.test(text)) continue;
      pattern.lastIndex = 0;
      const fragment = document.createDocumentFragment();
      let last = 0;
      for (const match of text.matchAll(pattern)) {
        fragment.append(text.slice(last, match.index));
        fragment.append(h("span", { class: "mention" }, mentions.get(match[0]) ?? match[0]));
        last = (match.index ?? 0) + match[0].length;
      }
      fragment.append(text.slice(last));
      node.replaceWith(fragment);
    }
  }

  // ---------------------------------------------------------------- markdown

  /** markdown-it configured for DingTalk's subset; null if the library failed to load. */
  const md = (() => {
    const factory = /** @type {any} */ (window).markdownit;
    if (typeof factory !== "function") return null;
    // breaks: DingTalk turns a single newline into a line break. Tables and strikethrough are not in its subset.
    return factory({ html: false, linkify: false, breaks: true, typographer: false }).disable([
      "table",
      "strikethrough",
    ]);
  })();

  /** Renders DingTalk markdown into a container element. */
  function markdown(text, mentions) {
    const box = h("div", { class: "markdown" });
    if (md) {
      // The only innerHTML in this file: markdown-it's output with html:false (raw HTML arrives escaped).
      const template = document.createElement("template");
      template.innerHTML = md.render(String(text ?? ""));
      for (const a of template.content.querySelectorAll("a")) {
        const href = safeUrl(a.getAttribute("href"));
        if (href) {
          a.setAttribute("href", href);
          a.setAttribute("target", "_blank");
          a.setAttribute("rel", "noopener noreferrer");
        } else a.removeAttribute("href");
      }
      for (const img of template.content.querySelectorAll("img")) {
        const src = safeImageUrl(img.getAttribute("src"));
        if (src) {
          img.setAttribute("loading", "lazy");
          img.setAttribute("referrerpolicy", "no-referrer");
        } else img.replaceWith(image(img.getAttribute("src"), img.getAttribute("alt") ?? ""));
      }
      box.append(template.content);
    } else {
      box.classList.add("plain");
      box.textContent = String(text ?? "");
    }
    if (mentions) highlightMentions(box, mentions);
    return box;
  }

  /** Plain text with line breaks and highlighted mentions. */
  function plainText(text, mentions) {
    const box = h("div", { class: "text" }, String(text ?? ""));
    if (mentions) highlightMentions(box, mentions);
    return box;
  }

  // ---------------------------------------------------------------- message bodies

  /** Turns an OpenAPI `msgKey` + `msgParam` into the equivalent DingTalk body, so one renderer serves all. */
  function fromMsgKey(body) {
    let param = body.msgParam;
    if (typeof param === "string") {
      try {
        param = JSON.parse(param);
      } catch {
        param = {};
      }
    }
    if (!param || typeof param !== "object") param = {};
    const key = String(body.msgKey);
    switch (key) {
      case "sampleText":
        return { msgtype: "text", text: { content: str(param, "content") } };
      case "sampleMarkdown":
        return { msgtype: "markdown", markdown: { title: str(param, "title"), text: str(param, "text") } };
      case "sampleImageMsg":
        return { msgtype: "image", image: { picURL: str(param, "photoURL") } };
      case "sampleLink":
        return { msgtype: "link", link: param };
      case "sampleActionCard":
        return { msgtype: "actionCard", actionCard: param };
      case "sampleActionCard6":
        return {
          msgtype: "actionCard",
          actionCard: {
            title: str(param, "title"),
            text: str(param, "text"),
            btnOrientation: "1",
            btns: [1, 2].map((i) => ({
              title: str(param, `buttonTitle${i}`),
              actionURL: str(param, `buttonUrl${i}`),
            })),
          },
        };
      default: {
        const card = /^sampleActionCard([2-5])$/.exec(key);
        if (card) {
          const btns = [];
          for (let i = 1; i <= Number(card[1]); i++) {
            if (str(param, `actionTitle${i}`)) {
              btns.push({ title: str(param, `actionTitle${i}`), actionURL: str(param, `actionURL${i}`) });
            }
          }
          return {
            msgtype: "actionCard",
            actionCard: { title: str(param, "title"), text: str(param, "text"), btnOrientation: "0", btns },
          };
        }
        const kind = { sampleAudio: "语音", sampleFile: "文件", sampleVideo: "视频" }[key];
        return {
          msgtype: "placeholder",
          placeholder: kind ? `[${kind}] ${str(param, "fileName")}`.trim() : `[${key}]`,
        };
      }
    }
  }

  /** The DingTalk body of a record: bodies are sometimes wrapped (`msg`) or OpenAPI-shaped (`msgKey`). */
  function bodyOf(record) {
    let body = record.body && typeof record.body === "object" ? record.body : {};
    if (!body.msgtype && body.msg && typeof body.msg === "object") body = body.msg;
    // OpenAPI templates the emulator has no display form for arrive as {msgtype: msgKey, msgKey, msgParam}.
    if (typeof body.msgKey === "string" && (!body.msgtype || body.msgtype === body.msgKey))
      body = fromMsgKey(body);
    return body;
  }

  function buttons(btns, orientation) {
    const horizontal = String(orientation) === "1";
    return h(
      "div",
      {
        class: `card-buttons ${horizontal ? "horizontal" : "vertical"}`,
        role: "group",
        "aria-label": "按钮 Buttons",
      },
      ...btns.map((b) => link(b.url, { class: "card-button" }, b.title || "查看")),
    );
  }

  function actionCard(card, mentions) {
    const single = str(card, "singleTitle") || str(card, "single_title");
    const singleUrl = str(card, "singleURL") || str(card, "single_url");
    const rawBtns = Array.isArray(card.btns)
      ? card.btns
      : Array.isArray(card.btn_json_list)
        ? card.btn_json_list
        : [];
    const text = str(card, "text") || str(card, "markdown");
    const el = h("div", { class: "card action-card", "data-title": str(card, "title") });
    // DingTalk shows the title only in notifications and the conversation list; the card shows its text.
    el.append(h("span", { class: "visually-hidden card-title" }, str(card, "title")));
    el.append(markdown(text, mentions));
    // When singleTitle+singleURL are set the card is whole-jump and btns is ignored, as DingTalk does.
    if (single || singleUrl) el.append(buttons([{ title: single || "阅读全文", url: singleUrl }], "0"));
    else if (rawBtns.length > 0) {
      el.append(
        buttons(
          rawBtns.map((b) => ({ title: str(b, "title"), url: str(b, "actionURL") || str(b, "action_url") })),
          card.btnOrientation ?? card.btn_orientation,
        ),
      );
    }
    return el;
  }

  function linkCard(l) {
    const url = str(l, "messageUrl") || str(l, "message_url") || str(l, "messageURL");
    const pic = str(l, "picUrl") || str(l, "picURL") || str(l, "pic_url");
    return link(
      url,
      { class: "card link-card", "data-title": str(l, "title") },
      h("span", { class: "card-title" }, str(l, "title")),
      h(
        "span",
        { class: "link-card-body" },
        h("span", { class: "link-card-text" }, str(l, "text")),
        pic ? image(pic, "", "link-card-pic") : null,
      ),
    );
  }

  function feedCard(feed) {
    const links = Array.isArray(feed?.links) ? feed.links : [];
    return h(
      "ul",
      { class: "card feed-card", "aria-label": "图文消息 Feed" },
      ...links.map((item, index) =>
        h(
          "li",
          { class: index === 0 ? "feed-item feed-first" : "feed-item" },
          link(
            str(item, "messageURL") || str(item, "messageUrl"),
            { class: "feed-link" },
            h("span", { class: "feed-title" }, str(item, "title")),
            str(item, "picURL") || str(item, "picUrl")
              ? image(str(item, "picURL") || str(item, "picUrl"), "", "feed-pic")
              : null,
          ),
        ),
      ),
    );
  }

  /** ARGB `FFBBBBBB` (DingTalk's OA head colour) → CSS colour; null if it is not hex. */
  function argb(value) {
    const v = String(value ?? "").replace(/^#|^0x/i, "");
    if (/^[0-9a-f]{8}$/i.test(v)) {
      const alpha = Number.parseInt(v.slice(0, 2), 16) / 255;
      const [r, g, b] = [2, 4, 6].map((i) => Number.parseInt(v.slice(i, i + 2), 16));
      return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
    }
    if (/^[0-9a-f]{6}$/i.test(v)) return `#${v}`;
    return null;
  }

  function oaCard(oa) {
    const head = oa.head && typeof oa.head === "object" ? oa.head : {};
    const body = oa.body && typeof oa.body === "object" ? oa.body : {};
    const headColour = argb(head.bgcolor);
    const el = h("div", { class: "card oa-card", "data-title": str(body, "title") || str(head, "text") });
    el.append(
      h(
        "div",
        { class: "oa-head", style: headColour ? `background:${headColour}` : null },
        str(head, "text") || "工作通知",
      ),
    );
    const inner = h("div", { class: "oa-body" });
    if (str(body, "title")) inner.append(h("div", { class: "card-title oa-title" }, str(body, "title")));
    const form = Array.isArray(body.form) ? body.form : [];
    if (form.length > 0) {
      inner.append(
        h(
          "dl",
          { class: "oa-form" },
          ...form.flatMap((row) => [h("dt", {}, str(row, "key")), h("dd", {}, str(row, "value"))]),
        ),
      );
    }
    if (body.rich && typeof body.rich === "object") {
      inner.append(
        h(
          "p",
          { class: "oa-rich" },
          h("span", { class: "oa-num" }, str(body.rich, "num")),
          " ",
          str(body.rich, "unit"),
        ),
      );
    }
    if (str(body, "content")) inner.append(plainText(str(body, "content")));
    if (str(body, "image")) inner.append(image(str(body, "image"), "", "oa-image"));
    const foot = [];
    if (str(body, "file_count")) foot.push(`附件 ${str(body, "file_count")} 个`);
    if (str(body, "author")) foot.push(str(body, "author"));
    if (foot.length > 0) inner.append(h("p", { class: "oa-foot" }, foot.join(" · ")));
    el.append(inner);
    const status = oa.status_bar && typeof oa.status_bar === "object" ? oa.status_bar : null;
    if (status && str(status, "status_value")) {
      el.append(
        h(
          "div",
          { class: "oa-status", style: argb(status.status_bg) ? `color:${argb(status.status_bg)}` : null },
          str(status, "status_value"),
        ),
      );
    }
    const url = str(oa, "message_url") || str(oa, "pc_message_url");
    if (url) el.append(buttons([{ title: "查看详情", url }], "0"));
    return el;
  }

  function richText(parts, mentions) {
    const box = h("div", { class: "text" });
    for (const part of Array.isArray(parts) ? parts : []) {
      if (part && typeof part.text === "string") box.append(part.text);
      else if (part && (part.type === "picture" || part.pictureDownloadCode || part.downloadCode)) {
        box.append(h("span", { class: "media-placeholder" }, "🖼 [图片]"));
      }
    }
    if (mentions) highlightMentions(box, mentions);
    return box;
  }

  /** Builds the content of one message bubble from its DingTalk body. */
  function renderBody(record) {
    const body = bodyOf(record);
    const mentions = mentionsOf(body);
    const type = String(body.msgtype ?? "");
    const content = body.content && typeof body.content === "object" ? body.content : {};
    switch (type) {
      case "text":
        return plainText(
          withRobotMention(record, str(body.text, "content") || str(body, "content")),
          mentions,
        );
      case "markdown":
        return h(
          "div",
          { class: "md-message", "data-title": str(body.markdown, "title") },
          markdown(str(body.markdown, "text"), mentions),
        );
      case "link":
        return linkCard(body.link ?? {});
      case "actionCard":
        return actionCard(body.actionCard ?? {}, mentions);
      case "action_card":
        return actionCard(body.action_card ?? {}, mentions);
      case "feedCard":
        return feedCard(body.feedCard ?? {});
      case "oa":
        return oaCard(body.oa ?? {});
      case "image":
        return image(str(body.image, "picURL") || str(body.image, "media_id"), "图片", "message-image");
      case "picture":
        return h("span", { class: "media-placeholder" }, "🖼 [图片]");
      case "richText":
        return richText(content.richText ?? body.richText?.richText, mentions);
      case "voice":
      case "audio":
        return h("span", { class: "media-placeholder" }, `🎤 [语音] ${str(content, "recognition")}`.trim());
      case "video":
        return h("span", { class: "media-placeholder" }, "🎬 [视频]");
      case "file":
        return h(
          "span",
          { class: "media-placeholder" },
          `📎 [文件] ${str(content, "fileName") || str(body.file, "media_id")}`.trim(),
        );
      case "unknownMsgType":
        return h(
          "span",
          { class: "media-placeholder" },
          str(content, "unknownMsgType") || "[暂不支持的消息]",
        );
      case "placeholder":
        return h("span", { class: "media-placeholder" }, str(body, "placeholder"));
      case "empty":
        return h("span", { class: "empty-reply" }, "（空回复 empty reply）");
      default:
        return h("pre", { class: "unknown-body" }, `[${type || "?"}] ${JSON.stringify(body, null, 2)}`);
    }
  }

  /**
   * A person's message to a robot in a group: DingTalk shows "@robot text" although the callback strips the
   * mention, so put it back when the text does not already start with it.
   */
  function withRobotMention(record, text) {
    if (record.sender?.kind !== "user") return text;
    const meta = record.meta ?? {};
    const code =
      typeof meta.atRobot === "string"
        ? meta.atRobot
        : typeof record.body?.robotCode === "string" && record.body?.isInAtList
          ? record.body.robotCode
          : null;
    if (!code) return text;
    const name = robotName(code);
    return text.trimStart().startsWith(`@${name}`) ? text : `@${name} ${text.trimStart()}`;
  }

  /** A one-line summary for the conversation list and screen readers. */
  function preview(record) {
    const body = bodyOf(record);
    const type = String(body.msgtype ?? "");
    switch (type) {
      case "text":
        return str(body.text, "content").trim();
      case "markdown":
        return `[${str(body.markdown, "title") || "Markdown"}]`;
      case "link":
        return `[链接] ${str(body.link, "title")}`;
      case "actionCard":
        return `[卡片] ${str(body.actionCard, "title")}`;
      case "action_card":
        return `[卡片] ${str(body.action_card, "title")}`;
      case "feedCard":
        return `[图文] ${str(body.feedCard?.links?.[0], "title")}`;
      case "oa":
        return `[工作通知] ${str(body.oa?.body, "title") || str(body.oa?.head, "text")}`;
      case "image":
      case "picture":
        return "[图片]";
      default:
        return `[${type}]`;
    }
  }

  // ---------------------------------------------------------------- time

  function formatTime(ms) {
    const date = new Date(ms);
    const time = date.toLocaleTimeString("zh-CN", {
      hour12: false,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    if (date.toDateString() === new Date().toDateString()) return time;
    return `${date.toLocaleDateString("zh-CN", { month: "2-digit", day: "2-digit" })} ${time}`;
  }

  // ---------------------------------------------------------------- messages

  const VIA_LABEL = {
    webhook: "Webhook",
    user: "",
    "inline-reply": "回调应答",
    "session-webhook": "sessionWebhook",
    "work-notification": "工作通知",
    openapi: "OpenAPI",
  };

  function messageItem(record) {
    const sender = record.sender ?? { kind: "user", id: "?", name: "?" };
    const isBot = sender.kind !== "user";
    const mine = !isBot && sender.id === ui.from.value;
    const bubble = h("div", { class: "bubble" }, renderBody(record));
    const via = VIA_LABEL[record.via] ?? record.via ?? "";
    const meta = h(
      "div",
      { class: "meta" },
      h("span", { class: "sender-name" }, sender.name || sender.id),
      isBot
        ? h("span", { class: "badge badge-bot" }, record.via === "work-notification" ? "工作通知" : "机器人")
        : null,
      via && record.via !== "work-notification" ? h("span", { class: "via" }, via) : null,
      h("time", { datetime: new Date(record.time).toISOString() }, formatTime(record.time)),
      deliveryBadge(record),
      ...readState(record),
    );
    // The body exactly as it was posted, for bot authors (as a mail catcher shows a mail's source).
    // Hidden unless "显示 JSON" is ticked: one switch, not a tab stop per message.
    const raw = h("pre", { class: "raw" }, JSON.stringify(record.body, null, 2));
    return h(
      "li",
      {
        class: `message${isBot ? " from-bot" : " from-user"}${mine ? " mine" : ""}`,
        "data-id": record.id,
        "data-msgtype": String(bodyOf(record).msgtype ?? ""),
        "data-via": record.via,
      },
      avatar(sender),
      h("div", { class: "message-main" }, meta, bubble, raw),
    );
  }

  /**
   * Read state of work notifications and OpenAPI messages ("未读"/"已读" in 1:1, "N 人已读" in groups), and a
   * button to read it as the chosen sender, which is what getsendresult and readStatus then report.
   */
  function readState(record) {
    if (!record.readBy || typeof record.readBy !== "object") return [];
    const c = state.conversations.get(record.conversationId);
    const readers = Object.keys(record.readBy);
    const label = c?.type === "single" ? (readers.length > 0 ? "已读" : "未读") : `${readers.length} 人已读`;
    const me = ui.from.value;
    const canRead = Boolean(me) && Boolean(c?.members.includes(me)) && !(me in record.readBy);
    const name = state.users.get(me)?.name ?? me;
    return [
      h("span", { class: `read-state${readers.length > 0 ? " read" : ""}` }, label),
      canRead
        ? h("button", { type: "button", class: "mark-read", "data-id": record.id }, `以${name}身份标记已读`)
        : null,
    ];
  }

  async function markRead(messageId) {
    const record = state.messages.find((m) => m.id === messageId);
    const userId = ui.from.value;
    if (!record || !userId) return;
    const response = await fetch(`/_emulator/messages/${encodeURIComponent(messageId)}/read`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId }),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      setStatus(`标记已读失败 (${response.status})：${result.error ?? response.statusText}`, "error");
      return;
    }
    record.readBy = { ...record.readBy, [userId]: result.readAt ?? Date.now() };
    const item = messageItem(record);
    ui.messages.querySelector(`li[data-id="${CSS.escape(record.id)}"]`)?.replaceWith(item);
    item.querySelector(".read-state")?.setAttribute("tabindex", "-1");
    /** @type {HTMLElement | null} */ (item.querySelector(".read-state"))?.focus();
  }

  /** For a person's message to a bot: whether the bot got it (the emulator's delivery outcome). */
  function deliveryBadge(record) {
    const delivery = record.meta && typeof record.meta.delivery === "object" ? record.meta.delivery : null;
    if (!delivery) return null;
    if (delivery.delivered) {
      const to = typeof record.meta.atRobot === "string" ? ` ${robotName(record.meta.atRobot)}` : "";
      return h(
        "span",
        { class: "delivery ok", title: `attempts: ${delivery.attempts ?? 1}` },
        `✓ 已送达${to}`,
      );
    }
    return h(
      "span",
      { class: "delivery failed", role: "note" },
      `⚠ 机器人未收到：${typeof delivery.error === "string" ? delivery.error : "未送达"}`,
    );
  }

  function messagesOf(conversationId) {
    return state.messages.filter((m) => m.conversationId === conversationId);
  }

  function nearBottom() {
    const el = ui.messages;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  function scrollToBottom() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function renderMessages() {
    // A re-render of the same conversation (after a refresh) keeps a reader's place unless they were at the end.
    const same = ui.messages.dataset.conversation === (state.selected ?? "");
    const stick = !same || nearBottom();
    const scrollTop = ui.messages.scrollTop;
    ui.messages.dataset.conversation = state.selected ?? "";
    ui.messages.setAttribute("aria-busy", "true");
    ui.messages.replaceChildren();
    if (!state.selected) {
      ui.messages.append(h("li", { class: "empty-note" }, "选择左侧的会话 · Pick a conversation"));
    } else {
      const list = messagesOf(state.selected);
      if (list.length === 0)
        ui.messages.append(h("li", { class: "empty-note" }, "还没有消息 · No messages yet"));
      // A benchmark or a storm can put thousands of messages in one conversation: draw the newest ones, and
      // the rest on request.
      const hidden = Math.max(0, list.length - state.shown);
      if (hidden > 0) {
        ui.messages.append(
          h(
            "li",
            { class: "earlier" },
            h(
              "button",
              { type: "button", class: "show-earlier" },
              `显示更早的 ${hidden} 条 · Show ${hidden} earlier`,
            ),
          ),
        );
      }
      for (const record of list.slice(hidden)) ui.messages.append(messageItem(record));
    }
    ui.messages.removeAttribute("aria-busy");
    if (stick) scrollToBottom();
    else ui.messages.scrollTop = scrollTop;
  }

  /**
   * Sets the delivery outcome of a person's message (found by its DingTalk msgId) and redraws it. The store
   * writes the outcome after the message event went out, so the page learns it from the composer's answer
   * or from the bot's reply.
   */
  function patchDelivery(msgId, delivery) {
    const record = state.messages.find((m) => m.meta?.msgId === msgId);
    if (!record || record.meta.delivery) return;
    record.meta = { ...record.meta, delivery };
    const shown = ui.messages.querySelector(`li[data-id="${CSS.escape(record.id)}"]`);
    shown?.replaceWith(messageItem(record));
  }

  function addMessage(record) {
    if (!record || state.messageIds.has(record.id)) return;
    state.messageIds.add(record.id);
    state.messages.push(record);
    if (typeof record.replyTo === "string") patchDelivery(record.replyTo, { delivered: true });
    if (!state.conversations.has(record.conversationId)) scheduleRefresh();
    if (record.conversationId === state.selected) {
      const stick = nearBottom();
      ui.messages.querySelector(".empty-note")?.remove();
      ui.messages.append(messageItem(record));
      if (stick) scrollToBottom();
    } else {
      state.unread.set(record.conversationId, (state.unread.get(record.conversationId) ?? 0) + 1);
    }
    scheduleConversations();
  }

  // ---------------------------------------------------------------- conversations

  /** The newest message of every conversation, in one pass over the log. */
  function lastMessages() {
    /** @type {Map<string, any>} */
    const last = new Map();
    for (const m of state.messages) last.set(m.conversationId, m);
    return last;
  }

  function sortedConversations(last = lastMessages()) {
    const key = (c) => last.get(c.conversationId)?.time ?? c.createdAt ?? 0;
    return [...state.conversations.values()].sort((a, b) => key(b) - key(a));
  }

  let conversationsTimer = 0;
  /** Coalesces list updates: a storm of messages re-renders the list a few times a second, not per message. */
  function scheduleConversations() {
    if (conversationsTimer) return;
    conversationsTimer = window.setTimeout(() => {
      conversationsTimer = 0;
      renderConversations();
    }, 50);
  }

  function renderConversations() {
    const last = lastMessages();
    const conversations = sortedConversations(last);
    ui.noConversations.hidden = conversations.length > 0;
    // Re-rendering replaces the buttons: keep a keyboard user's focus on the conversation they were on.
    const focused = document.activeElement?.closest?.("button.conversation")?.getAttribute("data-id");
    ui.list.replaceChildren(
      ...conversations.map((c) => {
        const newest = last.get(c.conversationId);
        const unread = state.unread.get(c.conversationId) ?? 0;
        const selected = c.conversationId === state.selected;
        const group = c.type !== "single";
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `conversation${selected ? " selected" : ""}`,
              "data-id": c.conversationId,
              "aria-current": selected ? "true" : null,
            },
            h(
              "span",
              {
                class: `avatar conv-avatar${group ? " group" : ""}`,
                "aria-hidden": "true",
                style: `--avatar:${colourFor(c.conversationId)}`,
              },
              initials(c.title || "?", { first: group }),
            ),
            h(
              "span",
              { class: "conv-text" },
              h(
                "span",
                { class: "conv-title-row" },
                h("span", { class: "conv-title" }, c.title || c.conversationId),
                h("span", { class: "badge badge-type" }, group ? "群" : "单聊"),
              ),
              h(
                "span",
                { class: "conv-preview" },
                newest ? `${newest.sender?.name ?? ""}: ${preview(newest)}` : "",
              ),
            ),
            unread > 0 && !selected
              ? h("span", { class: "unread", "aria-label": `${unread} 条未读` }, String(unread))
              : null,
          ),
        );
      }),
    );
    if (focused)
      /** @type {HTMLElement | null} */ (
        ui.list.querySelector(`button[data-id="${CSS.escape(focused)}"]`)
      )?.focus();
  }

  function select(conversationId, { focus = false } = {}) {
    if (conversationId !== state.selected) state.shown = PAGE_SIZE;
    state.selected = conversationId && state.conversations.has(conversationId) ? conversationId : null;
    if (state.selected) {
      state.unread.delete(state.selected);
      if (location.hash !== `#c=${encodeURIComponent(state.selected)}`) {
        history.replaceState(null, "", `#c=${encodeURIComponent(state.selected)}`);
      }
    }
    const c = state.selected ? state.conversations.get(state.selected) : null;
    ui.title.textContent = c ? c.title || c.conversationId : "未选择会话";
    ui.subtitle.textContent = c ? subtitle(c) : "";
    renderComposer();
    renderConversations();
    renderMessages();
    if (focus) ui.text.focus();
  }

  function subtitle(c) {
    const people = c.members.map((id) => state.users.get(id)?.name ?? id);
    const bots = [
      ...c.robots.map(robotName),
      ...state.robots.filter((r) => r.conversationId === c.conversationId).map((r) => r.name),
    ];
    const parts = [c.type === "single" ? "单聊" : `群聊 · ${people.length} 人`];
    if (people.length > 0) parts.push(people.join("、"));
    if (bots.length > 0) parts.push(`机器人：${bots.join("、")}`);
    return parts.join(" · ");
  }

  // ---------------------------------------------------------------- composer

  function option(value, label, selected) {
    const el = h("option", { value }, label);
    if (selected) el.selected = true;
    return el;
  }

  function renderComposer() {
    const c = state.selected ? state.conversations.get(state.selected) : null;
    const previousFrom = ui.from.value;
    const previousRobot = ui.robot.value;
    const members = c && c.members.length > 0 ? c.members : [...state.users.keys()];
    const people = members.map((id) => state.users.get(id)).filter(Boolean);
    ui.from.replaceChildren(
      ...people.map((u) => option(u.userId, `${u.name}（${u.userId}）`, u.userId === previousFrom)),
    );
    // Only app robots receive messages; custom robots and work-notification channels only send.
    const codes = c ? c.robots.filter((code) => state.apps.has(code)) : [];
    const robotOptions = codes.map((code) => option(code, robotName(code), code === previousRobot));
    if (c?.type === "single") robotOptions.unshift(option("", "（不 @）", previousRobot === ""));
    ui.robot.replaceChildren(...robotOptions);
    const usable = Boolean(c) && people.length > 0 && codes.length > 0;
    for (const el of [ui.from, ui.robot, ui.text, ui.send]) el.disabled = !usable;
    if (c && !usable) {
      setStatus(
        people.length === 0
          ? "这个会话没有成员，无法以成员身份发言"
          : "这里没有能接收消息的应用机器人（自定义机器人和工作通知只能发、不能收）",
        "info",
      );
    } else if (ui.status.dataset.kind === "info") setStatus("", "");
  }

  function setStatus(text, kind) {
    ui.status.textContent = text;
    ui.status.dataset.kind = kind;
  }

  async function sendFromComposer(event) {
    event.preventDefault();
    const c = state.selected ? state.conversations.get(state.selected) : null;
    const text = ui.text.value;
    if (!c || text.trim() === "" || !ui.from.value) return;
    const payload = { from: ui.from.value, text };
    if (ui.robot.value) payload.atRobot = ui.robot.value;
    ui.send.disabled = true;
    setStatus("发送中… Sending", "pending");
    try {
      const response = await fetch(
        `/_emulator/conversations/${encodeURIComponent(c.conversationId)}/messages`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload),
        },
      );
      const result = await response.json().catch(() => ({}));
      if (!response.ok) {
        setStatus(
          `发送失败 (${response.status})：${result.error ?? result.message ?? response.statusText}`,
          "error",
        );
        return;
      }
      ui.text.value = "";
      if (typeof result.msgId === "string" && typeof result.delivered === "boolean") {
        patchDelivery(result.msgId, {
          delivered: result.delivered,
          attempts: result.attempts,
          ...(result.error ? { error: result.error } : {}),
        });
      }
      if (result.delivered === false) {
        setStatus(`已记录，但机器人没有收到：${result.error ?? "未送达"}`, "error");
      } else
        setStatus(
          payload.atRobot ? `已送达 ${robotName(payload.atRobot)} · Delivered` : "已发送 · Sent",
          "ok",
        );
    } catch (error) {
      setStatus(`发送失败：${error instanceof Error ? error.message : String(error)}`, "error");
    } finally {
      ui.send.disabled = false;
      ui.text.focus();
    }
  }

  // ---------------------------------------------------------------- rejections

  const REASON_LABEL = {
    sign: "签名错误",
    keyword: "关键词不匹配",
    "rate-limit": "限流",
    ip: "IP 不在白名单",
    token: "token 无效",
    body: "消息体不合法",
    timestamp: "时间戳无效",
    method: "请求方法错误",
    "content-type": "Content-Type 错误",
    msgtype: "消息类型错误",
    fault: "注入的故障",
    delivery: "机器人未收到",
    reply: "回复被丢弃",
  };

  function rejectionItem(r) {
    return h(
      "li",
      { class: "rejection", "data-reason": r.reason },
      h(
        "div",
        { class: "rejection-head" },
        h(
          "span",
          { class: `badge reason reason-${String(r.reason).replace(/[^a-z-]/gi, "")}` },
          REASON_LABEL[r.reason] ?? r.reason,
        ),
        r.subject ? h("span", { class: "rejection-subject" }, r.subject) : null,
        h("time", { datetime: new Date(r.time).toISOString() }, formatTime(r.time)),
      ),
      h("div", { class: "rejection-msg" }, r.errcode !== undefined ? `errcode ${r.errcode}：` : "", r.errmsg),
      h("code", { class: "rejection-endpoint" }, r.endpoint),
    );
  }

  function renderRejections() {
    ui.rejectionCount.textContent = String(state.rejections.length);
    ui.rejectionCount.dataset.zero = String(state.rejections.length === 0);
    const recent = state.rejections.slice(-200).reverse();
    ui.rejectionList.replaceChildren(
      ...(recent.length > 0
        ? recent.map(rejectionItem)
        : [h("li", { class: "empty-note" }, "没有被拒绝的请求 · Nothing rejected")]),
    );
  }

  function addRejection(r) {
    if (!r || state.rejectionIds.has(r.id)) return;
    state.rejectionIds.add(r.id);
    state.rejections.push(r);
    ui.rejectionCount.textContent = String(state.rejections.length);
    ui.rejectionCount.dataset.zero = "false";
    ui.rejectionList.querySelector(".empty-note")?.remove();
    ui.rejectionList.prepend(rejectionItem(r));
    // A rate-limit storm can refuse thousands of requests: the panel keeps the newest 200.
    while (ui.rejectionList.children.length > 200) ui.rejectionList.lastElementChild?.remove();
  }

  // ---------------------------------------------------------------- data loading and live events

  function applySnapshot(snap) {
    state.conversations = new Map(snap.conversations.map((c) => [c.conversationId, c]));
    state.users = new Map(snap.users.map((u) => [u.userId, u]));
    state.apps = new Map(snap.apps.map((a) => [a.robotCode, a]));
    state.robots = snap.robots;
    // The snapshot replaces what the page had (the emulator may have restarted); events that arrived while it
    // was loading are replayed after it by loadSnapshot, and the ids make that replay idempotent.
    state.messages = [...snap.messages];
    state.messageIds = new Set(state.messages.map((m) => m.id));
    state.rejections = [...snap.rejections];
    state.rejectionIds = new Set(state.rejections.map((r) => r.id));
    const fromHash = decodeURIComponent((/^#c=(.+)$/.exec(location.hash) ?? [])[1] ?? "");
    const wanted = state.selected ?? (fromHash || sortedConversations()[0]?.conversationId || null);
    select(wanted);
    renderRejections();
  }

  /** @type {Promise<void> | null} */
  let loading = null;
  let reloadWanted = false;
  /** Loads the snapshot; a request while one is in flight runs once more after it, never in parallel. */
  function loadSnapshot() {
    if (loading) {
      reloadWanted = true;
      return loading;
    }
    loading = (async () => {
      do {
        reloadWanted = false;
        await loadSnapshotOnce();
      } while (reloadWanted);
    })().finally(() => {
      loading = null;
    });
    return loading;
  }

  async function loadSnapshotOnce() {
    state.buffered = [];
    try {
      const response = await fetch("/_emulator/snapshot", { cache: "no-store" });
      if (!response.ok) throw new Error(`snapshot ${response.status}`);
      applySnapshot(await response.json());
      document.body.dataset.ready = "true";
    } catch (error) {
      setConnection("error", `读取失败 ${error instanceof Error ? error.message : ""}`);
    } finally {
      const replay = state.buffered ?? [];
      state.buffered = null;
      for (const [type, data] of replay) handleEvent(type, data);
    }
  }

  let refreshTimer = 0;
  /** Users, apps and robots have no events of their own; re-read them shortly after something changes. */
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(() => void loadSnapshot(), 150);
  }

  function handleEvent(type, data) {
    // While a snapshot loads, events wait and are applied on top of it (see loadSnapshot).
    if (state.buffered) {
      state.buffered.push([type, data]);
      return;
    }
    switch (type) {
      case "message":
        addMessage(data);
        break;
      case "rejection":
        addRejection(data);
        break;
      case "conversation":
        state.conversations.set(data.conversationId, data);
        renderConversations();
        scheduleRefresh();
        break;
      case "reset":
        state.conversations.clear();
        state.messages = [];
        state.messageIds.clear();
        state.rejections = [];
        state.rejectionIds.clear();
        state.unread.clear();
        state.selected = null;
        scheduleRefresh();
        select(null);
        renderRejections();
        break;
    }
  }

  function setConnection(kind, text) {
    ui.connection.dataset.state = kind;
    ui.connection.textContent = text;
  }

  function connect() {
    const source = new EventSource("/_emulator/events");
    source.addEventListener("open", () => {
      setConnection("live", "实时 · Live");
      void loadSnapshot();
    });
    source.addEventListener("error", () => setConnection("reconnecting", "重新连接中… Reconnecting"));
    for (const type of ["message", "rejection", "conversation", "reset"]) {
      source.addEventListener(type, (event) => {
        try {
          handleEvent(type, JSON.parse(/** @type {MessageEvent} */ (event).data));
        } catch (error) {
          console.warn("bad event", type, error);
        }
      });
    }
  }

  // ---------------------------------------------------------------- narrow screens

  function setNavOpen(open) {
    ui.toggle.setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("nav-open", open);
  }

  // ---------------------------------------------------------------- wiring

  ui.list.addEventListener("click", (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest("button.conversation");
    if (!button) return;
    select(button.getAttribute("data-id"));
    if (document.body.classList.contains("nav-open")) {
      setNavOpen(false);
      ui.text.disabled ? ui.messages.focus() : ui.text.focus();
    }
  });
  ui.toggle.addEventListener("click", () => {
    const open = ui.toggle.getAttribute("aria-expanded") !== "true";
    setNavOpen(open);
    if (open) ui.list.querySelector("button")?.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
      setNavOpen(false);
      ui.toggle.focus();
    }
  });
  ui.composer.addEventListener("submit", (event) => void sendFromComposer(event));
  ui.text.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; never while an IME (Chinese input) is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.from.addEventListener("change", () => renderMessages());
  ui.messages.addEventListener("click", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const button = target.closest("button.mark-read");
    if (button) void markRead(button.getAttribute("data-id"));
    if (target.closest("button.show-earlier")) {
      const height = ui.messages.scrollHeight;
      state.shown += PAGE_SIZE;
      renderMessages();
      // Keep the message that was at the top in view.
      ui.messages.scrollTop = ui.messages.scrollHeight - height;
    }
  });
  ui.showRaw.addEventListener("change", () => document.body.classList.toggle("show-raw", ui.showRaw.checked));
  window.addEventListener("hashchange", () => {
    const id = decodeURIComponent((/^#c=(.+)$/.exec(location.hash) ?? [])[1] ?? "");
    if (id && id !== state.selected) select(id);
  });

  renderRejections();
  connect();
})();
