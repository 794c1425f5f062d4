/**
 * The emulator's in-memory world: custom robots, apps, people, conversations, and every message and
 * rejection, with an event bus the chat page and the SSE endpoint listen to.
 * @module
 */
import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { RateLimitErrcode } from "./options.js";

/** A group custom robot (webhook). */
export interface RobotRecord {
  accessToken: string;
  name: string;
  /** `SEC…` secret; sign mode is on when present. */
  secret?: string;
  keywords: string[];
  /** IPs or CIDR ranges; empty means no whitelist. */
  ipWhitelist: string[];
  /** The group it posts into. */
  conversationId: string;
  createdAt: number;
  /** errcode `/robot/send` answers when this robot is throttled; unset: the emulator's `rateLimitErrcode`. */
  rateLimitErrcode?: RateLimitErrcode;
}

/** An enterprise-internal app with the robot capability. */
export interface AppRecord {
  appKey: string;
  appSecret: string;
  /** For internal apps DingTalk uses the appKey as robotCode; may differ when given. */
  robotCode: string;
  agentId: number;
  name: string;
  /** Where HTTP-mode callbacks go. */
  callbackUrl?: string;
  mode: "http" | "stream";
  /** The robot's encrypted id, as it appears in callbacks (`chatbotUserId`, `atUsers`). */
  chatbotUserId: string;
  corpId: string;
  createdAt: number;
}

/** A person in the organisation. */
export interface UserRecord {
  userId: string;
  mobile: string;
  name: string;
  unionId: string;
  /** Encrypted id (`senderId`, `atUsers[].dingtalkId`). */
  dingtalkId: string;
  isAdmin: boolean;
}

/** A group or 1:1 chat. */
export interface ConversationRecord {
  conversationId: string;
  type: "single" | "group";
  title: string;
  /** userIds. */
  members: string[];
  /** robotCodes of app robots in the conversation. */
  robots: string[];
  createdAt: number;
}

/** Who wrote a recorded message. */
export interface Sender {
  kind: "user" | "robot" | "app";
  /** userId, accessToken-derived robot id, or robotCode. */
  id: string;
  name: string;
}

/** How a message reached the conversation. */
export type MessageChannel =
  | "webhook"
  | "user"
  | "inline-reply"
  | "session-webhook"
  | "work-notification"
  | "openapi"
  | "card";

/** A message the emulator accepted. */
export interface MessageRecord {
  id: string;
  time: number;
  conversationId: string;
  sender: Sender;
  via: MessageChannel;
  /** The parsed body as it was sent (a DingTalk message body, or `{msgtype, ...}` for other channels). */
  body: Record<string, unknown>;
  /** Custom robot token, for webhook messages (the control API is local; tokens are the emulator's own). */
  accessToken?: string;
  /** msgId of the person's message this answers, for bot replies. */
  replyTo?: string;
  /** Read state per userId, for work notifications and OpenAPI messages. */
  readBy?: Record<string, number>;
  /** Free-form extras (task ids, processQueryKey, delivery outcome). */
  meta?: Record<string, unknown>;
}

/** A request the emulator refused, kept so the page can show bot authors why. */
export interface RejectionRecord {
  id: string;
  time: number;
  /** Method and path, without the query (no secrets). */
  endpoint: string;
  /** Robot name or app key, when known. */
  subject?: string;
  errcode?: number | string;
  errmsg: string;
  /** A short reason category, e.g. `sign`, `keyword`, `rate-limit`, `ip`, `token`, `body`. */
  reason: string;
}

/** Events the store emits (the SSE endpoint forwards them). */
export interface StoreEvents {
  message: [MessageRecord];
  /** A recorded message changed afterwards (e.g. its delivery outcome); carries the whole record. */
  "message-updated": [MessageRecord];
  rejection: [RejectionRecord];
  conversation: [ConversationRecord];
  reset: [];
}

/** Filters of {@link EmulatorStore.listMessages}. */
export interface MessageFilter {
  accessToken?: string;
  conversationId?: string;
  /** Only messages at or after this epoch-ms time. */
  since?: number;
}

/** Generates an id in DingTalk's style: a prefix and random base64 or hex. */
export function fakeId(prefix: string, bytes = 12, encoding: "base64" | "hex" = "base64"): string {
  return `${prefix}${randomBytes(bytes).toString(encoding)}`;
}

/**
 * In-memory state of one emulator. Every method is synchronous; time comes from the injected clock.
 */
export class EmulatorStore {
  readonly events = new EventEmitter<StoreEvents>();
  readonly robots = new Map<string, RobotRecord>();
  readonly apps = new Map<string, AppRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly conversations = new Map<string, ConversationRecord>();
  readonly messages: MessageRecord[] = [];
  readonly rejections: RejectionRecord[] = [];

  constructor(readonly now: () => number = Date.now) {
    // The page and tests may subscribe many listeners; the default cap of 10 only produces warnings.
    this.events.setMaxListeners(0);
  }

  /** Creates a custom robot; without a conversation it gets a group of its own. */
  createRobot(input: Partial<Omit<RobotRecord, "createdAt">> = {}): RobotRecord {
    const accessToken = input.accessToken ?? randomBytes(32).toString("hex");
    const name = input.name ?? `机器人${this.robots.size + 1}`;
    const conversationId =
      input.conversationId ?? this.createConversation({ type: "group", title: `${name}的群` }).conversationId;
    const robot: RobotRecord = {
      accessToken,
      name,
      keywords: input.keywords ?? [],
      ipWhitelist: input.ipWhitelist ?? [],
      conversationId,
      createdAt: this.now(),
      ...(input.secret ? { secret: input.secret } : {}),
      ...(input.rateLimitErrcode ? { rateLimitErrcode: input.rateLimitErrcode } : {}),
    };
    this.robots.set(accessToken, robot);
    return robot;
  }

  /** Creates an app robot; missing credentials are generated. */
  createApp(input: Partial<Omit<AppRecord, "createdAt" | "chatbotUserId" | "corpId">> = {}): AppRecord {
    const appKey = input.appKey ?? fakeId("ding", 8, "hex");
    const app: AppRecord = {
      appKey,
      appSecret: input.appSecret ?? randomBytes(32).toString("base64url"),
      robotCode: input.robotCode ?? appKey,
      agentId: input.agentId ?? 1_000_000_000 + this.apps.size + 1,
      name: input.name ?? `应用机器人${this.apps.size + 1}`,
      mode: input.mode ?? "http",
      chatbotUserId: fakeId("$:LWCP_v1:$", 12),
      corpId: "dingemulatorcorp",
      createdAt: this.now(),
      ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
    };
    this.apps.set(appKey, app);
    return app;
  }

  /** Finds an app by its robotCode. */
  findAppByRobotCode(robotCode: string): AppRecord | undefined {
    for (const app of this.apps.values()) if (app.robotCode === robotCode) return app;
    return undefined;
  }

  /** Creates a person. */
  createUser(input: Partial<Omit<UserRecord, "dingtalkId">> = {}): UserRecord {
    const n = this.users.size + 1;
    const user: UserRecord = {
      userId: input.userId ?? `user${String(n).padStart(3, "0")}`,
      mobile: input.mobile ?? `1380000${String(n).padStart(4, "0")}`,
      name: input.name ?? `用户${n}`,
      unionId: input.unionId ?? fakeId("", 12, "hex"),
      dingtalkId: fakeId("$:LWCP_v1:$", 12),
      isAdmin: input.isAdmin ?? false,
    };
    this.users.set(user.userId, user);
    return user;
  }

  /** Finds a person by mobile number. */
  findUserByMobile(mobile: string): UserRecord | undefined {
    for (const user of this.users.values()) if (user.mobile === mobile) return user;
    return undefined;
  }

  /** Creates a conversation. */
  createConversation(input: Partial<Omit<ConversationRecord, "createdAt">> = {}): ConversationRecord {
    const conversation: ConversationRecord = {
      conversationId: input.conversationId ?? fakeId("cid", 16),
      type: input.type ?? "group",
      title: input.title ?? this.#defaultTitle(input),
      members: input.members ?? [],
      robots: input.robots ?? [],
      createdAt: this.now(),
    };
    this.conversations.set(conversation.conversationId, conversation);
    this.events.emit("conversation", conversation);
    return conversation;
  }

  /**
   * A conversation's title when none is given: a 1:1 chat is named after the other side as the person sees
   * it (the app robot, else the person), a group "测试群".
   */
  #defaultTitle(input: Partial<Omit<ConversationRecord, "createdAt">>): string {
    if (input.type !== "single") return "测试群";
    const robotCode = input.robots?.[0];
    const app = robotCode !== undefined ? this.findAppByRobotCode(robotCode) : undefined;
    if (app) return app.name;
    const userId = input.members?.[0];
    return (userId !== undefined ? this.users.get(userId)?.name : undefined) ?? "单聊";
  }

  /** Finds or creates the 1:1 conversation between a person and an app robot (or work notifications). */
  singleConversation(userId: string, robotCode: string, title: string): ConversationRecord {
    for (const conversation of this.conversations.values()) {
      if (
        conversation.type === "single" &&
        conversation.members[0] === userId &&
        conversation.robots[0] === robotCode
      ) {
        return conversation;
      }
    }
    return this.createConversation({ type: "single", title, members: [userId], robots: [robotCode] });
  }

  /** Records an accepted message and tells listeners. */
  recordMessage(input: Omit<MessageRecord, "id" | "time"> & { time?: number }): MessageRecord {
    const message: MessageRecord = { id: randomUUID(), time: this.now(), ...input };
    this.messages.push(message);
    this.events.emit("message", message);
    return message;
  }

  /**
   * Merges `meta` into a recorded message's `meta` (e.g. its delivery outcome, known only after the
   * message was recorded) and tells listeners with a `message-updated` event.
   * @returns the updated record, or undefined when no message has that id (e.g. after a reset)
   */
  updateMessageMeta(id: string, meta: Record<string, unknown>): MessageRecord | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const message = this.messages[i]!;
      if (message.id !== id) continue;
      message.meta = { ...message.meta, ...meta };
      this.events.emit("message-updated", message);
      return message;
    }
    return undefined;
  }

  /**
   * Replaces a recorded message's body (a card's current state after an update) and tells listeners with a
   * `message-updated` event.
   * @returns the updated record, or undefined when no message has that id (e.g. after a reset)
   */
  replaceMessageBody(id: string, body: Record<string, unknown>): MessageRecord | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const message = this.messages[i]!;
      if (message.id !== id) continue;
      message.body = body;
      this.events.emit("message-updated", message);
      return message;
    }
    return undefined;
  }

  /** Lists messages, oldest first. */
  listMessages(filter: MessageFilter = {}): MessageRecord[] {
    return this.messages.filter(
      (m) =>
        (filter.accessToken === undefined || m.accessToken === filter.accessToken) &&
        (filter.conversationId === undefined || m.conversationId === filter.conversationId) &&
        (filter.since === undefined || m.time >= filter.since),
    );
  }

  /** Records a refused request and tells listeners. */
  recordRejection(input: Omit<RejectionRecord, "id" | "time">): RejectionRecord {
    const rejection: RejectionRecord = { id: randomUUID(), time: this.now(), ...input };
    this.rejections.push(rejection);
    // Keep memory bounded under a storm; the page only shows recent ones.
    if (this.rejections.length > 1000) this.rejections.splice(0, this.rejections.length - 1000);
    this.events.emit("rejection", rejection);
    return rejection;
  }

  /** Forgets everything. */
  reset(): void {
    this.robots.clear();
    this.apps.clear();
    this.users.clear();
    this.conversations.clear();
    this.messages.length = 0;
    this.rejections.length = 0;
    this.events.emit("reset");
  }
}
