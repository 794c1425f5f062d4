import type { z } from "zod";

/**
 * What kind of problem an issue is, for programs (the CLI) that must not match on the sentence:
 * `schema` a schema rule failed; `no-keyword` a message lacks every one of the robot's keywords;
 * `too-large` a body is over DingTalk's byte limit; `invalid` anything else (a bad option or argument).
 */
export type SchemaIssueCode = "schema" | "no-keyword" | "too-large" | "invalid";

/** One problem found by a schema or a check, as a code, a path and a sentence. */
export interface SchemaIssue {
  /** Machine-readable kind of problem. */
  code: SchemaIssueCode;
  path: string;
  message: string;
}

/** A {@link SchemaIssue} as callers build it: without a `code` it counts as `"invalid"`. */
export interface SchemaIssueInput {
  code?: SchemaIssueCode;
  path: string;
  message: string;
}

/** Result of {@link check}: the parsed value, or the issues. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; issues: SchemaIssue[] };

/**
 * Parses a value with one of the protocol's schemas without throwing, so callers outside protocol/
 * never touch the schema library directly.
 * @param schema - a schema exported by this module
 * @param value - the value to check
 */
export function check<S extends z.ZodType>(schema: S, value: unknown): CheckResult<z.infer<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      code: "schema" as const,
      path: issue.path.map(String).join(".") || "(root)",
      message: issue.message,
    })),
  };
}

/** Formats issues as one line, e.g. `text.content: Too small; at.isAtAll: expected boolean`. */
export function formatIssues(issues: readonly SchemaIssueInput[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
}
