/**
 * The library's version, one string for every place that names it (the Stream gateway's `ua`, the CLI's
 * `--version`). A constant rather than a read of package.json at run time: the built files must not depend
 * on where package.json sits, and bundlers would inline it anyway. `version.test.ts` fails when it and
 * package.json disagree, so a release bumps both.
 * @module
 */

/** The version of dingbot-sdk (and of dingbot-tools, released in lockstep). */
export const VERSION = "0.1.0";
