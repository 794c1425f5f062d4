/**
 * Runs the real `dingbot` CLI for tests: as a child process from source (no build needed), or in-process
 * through run(argv, io). Everything printed is also kept in {@link ALL_OUTPUT} so a test can check that no
 * secret ever appeared in any output of the suite.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = fileURLToPath(new URL("../../packages/dingbot-tools/src/cli/main.ts", import.meta.url));

/** Every stdout/stderr text printed by CLI runs in this test process. */
export const ALL_OUTPUT: string[] = [];

/** Result of a CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Spawns `dingbot ARGS…` from source and waits for it to exit.
 * The child's environment is the given env plus PATH/HOME only, so a developer's DINGTALK_* never leaks in.
 */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawnDingbot(args, env, options.cwd);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      ALL_OUTPUT.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** Path of the repository root. */
export const REPO_ROOT = ROOT;

/** A CLI process started by {@link startCli}. */
export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** The match of the readiness pattern in stderr. */
  ready: RegExpExecArray;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns a long-running `dingbot ARGS…` from source and resolves once its stderr matches `ready`
 * (e.g. the "listening at http://…" line); rejects if it exits first or does not get ready in time.
 */
export function startCli(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 25_000,
): Promise<RunningCli> {
  const child = spawnDingbot(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", (code) => {
      ALL_OUTPUT.push(stdout, stderr);
      resolve(code);
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start: ${stderr}`)), timeoutMs);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = ready.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          ready: match,
          stdout: () => stdout,
          stderr: () => stderr,
          exited,
          stop: () => {
            child.kill("SIGTERM");
            return exited;
          },
        });
      }
    });
    child.on("close", () => reject(new Error(`CLI exited early: ${stderr}`)));
  });
}

/** Spawns `dingbot ARGS…` from source, all three streams piped, with env plus PATH/HOME only. */
function spawnDingbot(
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--conditions=dingbot:source", "--import", "tsx", MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/**
 * Spawns `dingbot ARGS…` from source with a piped stdin the test writes to while it runs.
 * @returns its stdin, its result once it exits, and a way to kill it
 */
export function spawnCliWithStdin(args: string[], env: Record<string, string>) {
  const child = spawnDingbot(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code) => {
      ALL_OUTPUT.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return { stdin: child.stdin, done, kill: () => child.kill("SIGKILL") };
}
