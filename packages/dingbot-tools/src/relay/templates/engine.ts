/**
 * Liquid templates: compiled once at start-up (syntax and unknown filters are errors), dry-rendered against
 * a sample with strict variables, and rendered leniently at run time. liquidjs is sandboxed: a template
 * from an operator cannot run code or read files.
 * @module
 */
import { readFileSync } from "node:fs";
import { Liquid, type Template } from "liquidjs";
import type { ResolvedRoute } from "../config.js";
import { parseSource } from "../sources/index.js";
import type { RelayAlert, RenderedMessage } from "../types.js";
import { builtinTemplate } from "./builtin.js";
import { type ContextOptions, headline, templateContext } from "./context.js";
import { SAMPLE_BODIES } from "./samples.js";

/** A template that failed to compile or to dry-render: names the file and line. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

/** Largest markdown text the relay sends (DingTalk refuses bodies over 20000 bytes). */
export const MAX_TEXT_BYTES = 16_000;

/** A file system with no files: `include`/`render`/`layout` cannot read the config (and its secrets) or /etc. */
const NO_FILES = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file: string): Promise<string> => {
    throw new Error(`templates cannot read files (${file})`);
  },
  readFileSync: (file: string): string => {
    throw new Error(`templates cannot read files (${file})`);
  },
  resolve: (_dir: string, file: string) => file,
};

const engine = new Liquid({
  strictFilters: true,
  lenientIf: true,
  ownPropertyOnly: true,
  cache: false,
  fs: NO_FILES,
  relativeReference: false,
  root: [],
  partials: [],
  layouts: [],
});

/** Renders one route's messages. */
export interface RouteRenderer {
  /** Renders the alerts that matched the route into a markdown title and text (mentions not added yet). */
  render(
    alerts: readonly RelayAlert[],
    sourceContext: Record<string, unknown>,
  ): Pick<RenderedMessage, "title" | "text">;
}

function describe(error: unknown, file: string): TemplateError {
  const message = error instanceof Error ? error.message : String(error);
  const position = /line:(\d+)/.exec(message);
  const line = position ? Number(position[1]) : undefined;
  const reason = message.replace(/, file:[^,]*/, "").replace(/, line:\d+, col:\d+/, "");
  return new TemplateError(`${file}${line ? `:${line}` : ""}: ${reason}`, file, line);
}

function compile(text: string, file: string): Template[] {
  try {
    return engine.parse(text, file);
  } catch (error) {
    throw describe(error, file);
  }
}

/** Cuts text to a byte budget on a character boundary, saying that it did. */
export function truncateText(text: string, maxBytes = MAX_TEXT_BYTES): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const suffix = "\n\n…";
  let cut = Buffer.from(text)
    .subarray(0, maxBytes - Buffer.byteLength(suffix))
    .toString("utf8");
  // A cut inside a multi-byte character leaves U+FFFD at the end.
  cut = cut.replace(/\uFFFD+$/, "");
  return cut + suffix;
}

/** The first markdown heading of a text, without `#`, as a title. */
function titleOf(text: string): string | undefined {
  const first = text.split("\n").find((line) => line.trim().length > 0);
  const heading = first && /^#{1,6}\s+(.+)$/.exec(first.trim());
  return heading?.[1]?.trim();
}

/**
 * Compiles a route's template (custom or built-in) and dry-renders it against a sample.
 * @param route - the route
 * @param timezone - zone of times in messages
 * @throws TemplateError naming the file and line of a syntax error, an unknown filter or variable
 */
export function createRouteRenderer(route: ResolvedRoute, timezone: string): RouteRenderer {
  const options: ContextOptions = { source: route.source, language: route.language, timezone };
  const file = route.templateFile ?? `(built-in ${route.source} template)`;
  let text: string;
  try {
    text = route.templateFile
      ? readFileSync(route.templateFile, "utf8")
      : builtinTemplate(route.source, route.language);
  } catch (error) {
    throw new TemplateError(
      `cannot read template ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      file,
    );
  }
  const body = compile(text, file);
  const fallback = route.templateFile
    ? compile(builtinTemplate(route.source, route.language), "(built-in)")
    : body;
  const title = route.title ? compile(route.title, `${file} (title)`) : undefined;
  const renderer: RouteRenderer = {
    render(alerts, sourceContext) {
      const context = templateContext(alerts, sourceContext, options);
      let rendered: string;
      try {
        rendered = engine.renderSync(body, context) as string;
      } catch {
        // A template that fails on a real payload must not lose the alert: say it with the built-in one.
        rendered = engine.renderSync(fallback, context) as string;
      }
      const cleaned = rendered.replace(/\n{3,}/g, "\n\n").trim() || headline(alerts, options);
      const renderedTitle = title ? (engine.renderSync(title, context) as string).trim() : undefined;
      return {
        title: (renderedTitle || titleOf(cleaned) || headline(alerts, options)).slice(0, 100),
        text: truncateText(cleaned),
      };
    },
  };
  dryRun(route, body, title, options, file);
  return renderer;
}

function sampleFor(
  route: ResolvedRoute,
  file: string,
): { body: unknown; headers: Record<string, string> } | undefined {
  if (route.sampleFile) {
    try {
      return { body: JSON.parse(readFileSync(route.sampleFile, "utf8")) as unknown, headers: {} };
    } catch (error) {
      throw new TemplateError(`cannot read sample ${route.sampleFile}: ${(error as Error).message}`, file);
    }
  }
  return SAMPLE_BODIES[route.source];
}

function dryRun(
  route: ResolvedRoute,
  body: Template[],
  title: Template[] | undefined,
  options: ContextOptions,
  file: string,
): void {
  const sample = sampleFor(route, file);
  if (!sample) return;
  const parsed = parseSource(route.source, sample.body, (name) => sample.headers[name]);
  if (parsed.kind !== "alerts") {
    throw new TemplateError(`sample for ${file} is not a valid ${route.source} payload`, file);
  }
  const context = templateContext(parsed.alerts, parsed.context, options);
  for (const template of title ? [body, title] : [body]) {
    try {
      engine.renderSync(template, context, { strictVariables: true });
    } catch (error) {
      throw describe(error, file);
    }
  }
}
