import { createEmulator } from "dingbot-tools/emulator";
import { fillSampleGroup, launchChromium, openPage } from "./page-fixtures.js";
const emulator = createEmulator();
const url = await emulator.listen(0);
const world = fillSampleGroup(emulator.store);
const browser = await launchChromium();
for (const [name, vp] of [["wide", { width: 1280, height: 1400 }], ["narrow", { width: 360, height: 760 }]] as const) {
  const { page, errors } = await openPage(browser, url, vp);
  await page.goto(url + "/#c=" + encodeURIComponent(world.groupId));
  await page.waitForSelector("body[data-ready=true]");
  await page.waitForTimeout(300);
  await page.screenshot({ path: `/tmp/h7/${name}.png` });
  console.log(name, errors);
  if (name === "wide") {
    await page.click(`button.conversation[data-id="${world.singleId}"]`);
    await page.waitForTimeout(200);
    await page.screenshot({ path: `/tmp/h7/single.png` });
  }
}
await browser.close();
await emulator.close();
