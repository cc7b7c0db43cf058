import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/**
 * Chromium for the browser tests: Debian's package (`apt-get install
 * chromium`), or CHROMIUM_PATH. Without it the tests are skipped with the
 * reason, except under CI=true, where a missing browser is a failure.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  const reason = `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  return reason;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader",
      // Two pages play at once: neither may be throttled as a background tab.
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
    ],
  });
}

/** A player's page, in a browser context of its own (its own storage), opened on `url`. */
export async function openPlayer(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.log(`# page error: ${error.message}`));
  await page.goto(url);
  await page.waitForFunction(() => (window as any).__arena !== undefined);
  return page;
}

/** Reads the page's test surface (window.__arena). */
export function arena<T>(page: Page, read: (a: any) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(window.__arena)`) as Promise<T>;
}

/** Types a name and presses Quick play, then waits to be in a match. */
export async function quickPlay(page: Page, name: string): Promise<void> {
  await page.fill("#name", name);
  await page.click("#quick-play");
  await page.waitForFunction(() => (window as any).__arena.status === "playing" && (window as any).__arena.me !== undefined);
}

/**
 * Has the server move this page's player to (x, y) (the ENABLE_TEST_HOOKS
 * `place`) and waits until both the server's copy and the drawn player are
 * there. Input frames still on their way (a group waiting to fill, frames in
 * the server's play-out queue) can move the player again just after the
 * move: then it is placed again, up to `attempts` times.
 */
export async function placeAt(page: Page, x: number, y: number, attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(([px, py]) => (window as any).__arena.place(px, py), [x, y]);
    try {
      await page.waitForFunction(([px, py]) => {
        const a = (window as any).__arena;
        return a.server?.x === px && a.server?.y === py && Math.abs(a.me.x - px) < 0.5 && Math.abs(a.me.y - py) < 0.5;
      }, [x, y], { timeout: 3000 });
      return;
    } catch (error) {
      if (attempt >= attempts) throw new Error(`the player was not placed at (${x}, ${y}) in ${attempts} attempts`, { cause: error });
    }
  }
}
