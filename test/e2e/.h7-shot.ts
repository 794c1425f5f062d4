import { launchChromium, openPage } from "./page-fixtures.js";
const url = process.argv[2]!;
const browser = await launchChromium();
for (const [name, vp] of [["demo", { width: 1280, height: 900 }], ["demo-narrow", { width: 360, height: 760 }]] as const) {
  const { page, errors } = await openPage(browser, url, vp);
  await page.goto(url + "/");
  await page.waitForSelector("body[data-ready=true]");
  await page.waitForTimeout(300);
  await page.screenshot({ path: `/tmp/h7/${name}.png` });
  console.log(name, errors);
}
await browser.close();
