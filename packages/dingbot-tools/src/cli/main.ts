// Runs the CLI from TypeScript source (tests and development): node --conditions=dingbot:source --import tsx main.ts
import { main } from "./bin.js";

await main();
