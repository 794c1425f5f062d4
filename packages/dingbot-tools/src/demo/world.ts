/**
 * The demo's people, robots and conversations, created straight in the emulator's store.
 * Every credential here is a fixed, made-up value that only the local emulator accepts.
 * @module
 */
import type {
  AppRecord,
  ConversationRecord,
  EmulatorStore,
  RobotRecord,
  UserRecord,
} from "../emulator/index.js";

/** What the demo world holds. */
export interface DemoWorld {
  zhang: UserRecord;
  li: UserRecord;
  wang: UserRecord;
  /** The HTTP-callback app that runs examples/answer-bot.ts. */
  answerApp: AppRecord;
  /** The Stream-mode app that runs examples/stream-bot.ts. */
  streamApp: AppRecord;
  /** "运维告警群": people, both app robots, and the relay's custom robot. */
  opsGroup: ConversationRecord;
  /** "研发群": where the relay posts GitHub events. */
  devGroup: ConversationRecord;
  /** The custom robot the relay posts alerts with (sign mode). */
  alertRobot: RobotRecord;
  /** The custom robot the relay posts GitHub events with (keyword mode). */
  githubRobot: RobotRecord;
}

/** Title of the demo's main group, the one the page opens and the screenshot shows. */
export const DEMO_GROUP_TITLE = "运维告警群";

/** Creates the demo world. */
export function createDemoWorld(store: EmulatorStore): DemoWorld {
  const zhang = store.createUser({ userId: "zhangsan", name: "张三", mobile: "13800000001", isAdmin: true });
  const li = store.createUser({ userId: "lisi", name: "李四", mobile: "13800000002" });
  const wang = store.createUser({ userId: "wangwu", name: "王五", mobile: "13800000003" });
  const answerApp = store.createApp({
    appKey: "dingdemoanswerbot",
    appSecret: "demo-answer-bot-secret-not-a-real-one",
    name: "问答机器人",
    mode: "http",
    agentId: 3000000001,
  });
  const streamApp = store.createApp({
    appKey: "dingdemostreambot",
    appSecret: "demo-stream-bot-secret-not-a-real-one",
    name: "回声机器人",
    mode: "stream",
    agentId: 3000000002,
  });
  const devGroup = store.createConversation({
    conversationId: "cidDemoDevGroup==",
    type: "group",
    title: "研发群",
    members: [zhang.userId, wang.userId],
    robots: [],
  });
  const githubRobot = store.createRobot({
    accessToken: "demo0github0robot0token",
    name: "GitHub 通知",
    keywords: ["GitHub", "github"],
    conversationId: devGroup.conversationId,
  });
  // Created last so it is the newest conversation: the page opens it first.
  const opsGroup = store.createConversation({
    conversationId: "cidDemoOpsGroup==",
    type: "group",
    title: DEMO_GROUP_TITLE,
    members: [zhang.userId, li.userId, wang.userId],
    robots: [answerApp.robotCode, streamApp.robotCode],
  });
  const alertRobot = store.createRobot({
    accessToken: "demo0alert0robot0token",
    name: "告警机器人",
    secret: "SECdemo0alert0robot0secret0not0real",
    conversationId: opsGroup.conversationId,
  });
  return { zhang, li, wang, answerApp, streamApp, opsGroup, devGroup, alertRobot, githubRobot };
}
