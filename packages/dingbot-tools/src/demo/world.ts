/**
 * The demo's people, robots and conversations: one world shared by `dingbot demo`, the state file
 * examples/demo-state.yaml (`dingbot emulator --state examples/demo-state.yaml`) and the README's tour, so
 * that every command of the tour works against each. A test keeps the YAML equal to {@link DEMO_STATE}.
 * Every credential here is a fixed, made-up value that only the local emulator accepts.
 * @module
 */
import {
  type AppRecord,
  applyState,
  type ConversationRecord,
  type EmulatorStore,
  type RobotRecord,
  type StateFile,
  type UserRecord,
} from "../emulator/index.js";

/** What the demo world holds. */
export interface DemoWorld {
  zhang: UserRecord;
  li: UserRecord;
  wang: UserRecord;
  /** The HTTP-callback app that runs examples/answer-bot.ts (and sends work notifications). */
  answerApp: AppRecord;
  /** The Stream-mode app that runs examples/stream-bot.ts. */
  streamApp: AppRecord;
  /** The Stream-mode app that runs examples/file-bot.ts (pictures, files, voice notes; answers "图表" with a picture). */
  fileApp: AppRecord;
  /** The Stream-mode app that runs examples/ai-bot.ts (answers in a streamed AI card). */
  aiApp: AppRecord;
  /** "运维告警群": people, both app robots, and the relay's custom robots. */
  opsGroup: ConversationRecord;
  /** "研发群": where the relay posts GitHub events and the build robot posts. */
  devGroup: ConversationRecord;
  /** 张三's 1:1 chat with the stream bot (titled after the robot, as a 1:1 chat is). */
  echoChat: ConversationRecord;
  /** The custom robot the relay posts alerts with (sign mode). */
  alertRobot: RobotRecord;
  /** The custom robot the relay posts critical alerts with (no security: examples/relay.yaml's `oncall`). */
  oncallRobot: RobotRecord;
  /** The custom robot the relay posts GitHub events with (keyword mode). */
  githubRobot: RobotRecord;
  /** The custom robot the tour sends with from the shell (sign mode and keyword 构建). */
  buildRobot: RobotRecord;
}

/** Title of the demo's main group, the one the page opens and the screenshot shows. */
export const DEMO_GROUP_TITLE = "运维告警群";

/**
 * The demo world as a state file (the input of `applyState`); examples/demo-state.yaml is the same in
 * YAML. Lists are created in the order users → apps → conversations → robots; the main group comes last
 * among the conversations so that it is the newest and the page opens it first.
 */
export const DEMO_STATE = {
  users: [
    { userId: "zhangsan", name: "张三", mobile: "13800000001", isAdmin: true },
    { userId: "lisi", name: "李四", mobile: "13800000002" },
    { userId: "wangwu", name: "王五", mobile: "13800000003" },
  ],
  apps: [
    {
      appKey: "dingdemoanswerbot",
      appSecret: "demo-answer-bot-secret-not-a-real-one",
      name: "问答机器人",
      mode: "http",
      callbackUrl: "http://127.0.0.1:3000/",
      agentId: 3000000001,
    },
    {
      appKey: "dingdemostreambot",
      appSecret: "demo-stream-bot-secret-not-a-real-one",
      name: "回声机器人",
      mode: "stream",
      agentId: 3000000002,
    },
    {
      appKey: "dingdemofilebot",
      appSecret: "demo-file-bot-secret-not-a-real-one",
      name: "文件机器人",
      mode: "stream",
      agentId: 3000000004,
    },
    {
      appKey: "dingdemoaibot",
      appSecret: "demo-ai-bot-secret-not-a-real-one",
      name: "AI 助手",
      mode: "stream",
      agentId: 3000000013,
    },
  ],
  conversations: [
    {
      conversationId: "cidDemoDevGroup==",
      type: "group",
      title: "研发群",
      members: ["zhangsan", "wangwu"],
      robots: [],
    },
    {
      conversationId: "cidDemoEchoChat==",
      type: "single",
      members: ["zhangsan"],
      robots: ["dingdemostreambot"],
    },
    {
      conversationId: "cidDemoOpsGroup==",
      type: "group",
      title: DEMO_GROUP_TITLE,
      members: ["zhangsan", "lisi", "wangwu"],
      robots: ["dingdemoanswerbot", "dingdemostreambot", "dingdemofilebot", "dingdemoaibot"],
    },
  ],
  robots: [
    {
      accessToken: "demo0alert0robot0token",
      secret: "SECdemo0alert0robot0secret0not0real",
      name: "告警机器人",
      conversationId: "cidDemoOpsGroup==",
    },
    { accessToken: "demo0oncall0robot0token", name: "值班机器人", conversationId: "cidDemoOpsGroup==" },
    {
      accessToken: "demo0github0robot0token",
      keywords: ["GitHub", "github"],
      name: "GitHub 通知",
      conversationId: "cidDemoDevGroup==",
    },
    {
      accessToken: "demo0build0robot0token",
      secret: "SECdemo0build0robot0secret0not0real",
      keywords: ["构建"],
      name: "构建通知",
      conversationId: "cidDemoDevGroup==",
    },
  ],
} satisfies StateFile;

/** Creates the demo world ({@link DEMO_STATE}) in the store and returns its records. */
export function createDemoWorld(store: EmulatorStore): DemoWorld {
  // A deep copy: the store keeps the arrays it is given, and DEMO_STATE is shared.
  applyState(store, structuredClone(DEMO_STATE), "demo world");
  const [zhang, li, wang] = DEMO_STATE.users.map((u) => required(store.users.get(u.userId)));
  const [answerApp, streamApp] = DEMO_STATE.apps.map((a) => required(store.apps.get(a.appKey)));
  const fileApp = required(store.apps.get("dingdemofilebot"));
  const aiApp = required(store.apps.get("dingdemoaibot"));
  const [devGroup, echoChat, opsGroup] = DEMO_STATE.conversations.map((c) =>
    required(store.conversations.get(c.conversationId)),
  );
  const [alertRobot, oncallRobot, githubRobot, buildRobot] = DEMO_STATE.robots.map((r) =>
    required(store.robots.get(r.accessToken)),
  );
  return {
    zhang: zhang!,
    li: li!,
    wang: wang!,
    answerApp: answerApp!,
    streamApp: streamApp!,
    fileApp,
    aiApp,
    opsGroup: opsGroup!,
    devGroup: devGroup!,
    echoChat: echoChat!,
    alertRobot: alertRobot!,
    oncallRobot: oncallRobot!,
    githubRobot: githubRobot!,
    buildRobot: buildRobot!,
  };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("demo world: a record is missing after applyState");
  return value;
}
