import type { z } from "zod";

/** One problem found by a schema, as a path and a sentence. */
export interface SchemaIssue {
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
      path: issue.path.map(String).join(".") || "(root)",
      message: issue.message,
    })),
  };
}

/** Formats issues as one line, e.g. `text.content: Too small; at.isAtAll: expected boolean`. */
export function formatIssues(issues: SchemaIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
}
