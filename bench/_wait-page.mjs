// Used by bench/fresh-clone.sh: opens the demo page in headless Chromium until it shows a message, then prints
// the time since T0 (epoch ms, argv[3]). Requests for anything but the page are answered locally.
import { chromium } from "playwright-core";

const url = process.argv[2];
const t0 = Number(process.argv[3]);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = await browser.newPage();
await page.route(
  (u) => !u.href.startsWith(url),
  (r) => r.fulfill({ status: 200, body: "" }),
);
for (;;) {
  try {
    await page.goto(url, { timeout: 2000 });
    await page.waitForSelector("#messages li.message", { timeout: 20000 });
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}
const messages = await page.locator("#messages li.message").count();
console.log(JSON.stringify({ shownAtMs: Date.now() - t0, messages }));
await browser.close();
