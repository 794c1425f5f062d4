#!/usr/bin/env node
// Thin launcher kept in git (not generated) so the bin link and its exec bit exist before the build runs.
import { main } from "../dist/cli/bin.js";

await main();
