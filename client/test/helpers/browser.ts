import type { Browser, Page } from "playwright-core";

export { browserSkipReason, launch } from "@arena/testkit/chromium";

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
  return page.evaluate<T>(`(${read.toString()})(window.__arena)`);
}

/**
 * The reconnection token this page keeps for a reload: in sessionStorage,
 * where ArenaConnection's SeatStore saves it (never on `window`).
 */
export function savedToken(page: Page): Promise<string | undefined> {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem("arena.seat") ?? "null")?.token);
}

/**
 * Where `needle` can be read from what the page's own scripts put on
 * `window` (the globals a blank page does not have): property paths, own and
 * inherited getters included, through WeakRefs, Maps and Sets. The DOM and
 * the storage objects are not searched.
 */
export function windowPathsTo(page: Page, needle: string): Promise<string[]> {
  return page.evaluate((needle) => {
    const frame = document.createElement("iframe");
    document.body.append(frame);
    const blank = new Set(Object.getOwnPropertyNames(frame.contentWindow!));
    frame.remove();
    // Entries are [path, owner, key]: read when taken, as a getter throwing is no finding.
    // (No named function in here: tsx would wrap it in a helper the page does not have.)
    const queue: [string, any, PropertyKey][] = Object.getOwnPropertyNames(window)
      .filter((n) => !blank.has(n))
      .map((n) => [`window.${n}`, window, n]);
    const seen = new Set<unknown>();
    const found: string[] = [];
    // Breadth first, up to 200,000 objects: a page's own globals are far fewer.
    for (let i = 0; i < queue.length && seen.size < 200_000; i++) {
      const [path, owner, key] = queue[i];
      let value: unknown;
      try {
        value = owner[key];
      } catch {
        continue;
      }
      if (typeof value === "string") {
        if (value.includes(needle)) found.push(path);
        continue;
      }
      if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value) || value instanceof Node) continue;
      seen.add(value);
      if (value instanceof WeakRef) queue.push([`${path}.deref()`, [value.deref()], 0]);
      if (value instanceof Map || value instanceof Set) queue.push([`${path}.entries()`, [[...value.entries()]], 0]);
      for (let o: any = value; o !== null && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
        for (const key of Reflect.ownKeys(o)) queue.push([`${path}.${String(key)}`, value, key]);
      }
    }
    return found;
  }, needle);
}

/** Types a name and presses Quick play, then waits to be in a match. */
export async function quickPlay(page: Page, name: string): Promise<void> {
  await page.fill("#name", name);
  await page.click("#quick-play");
  await page.waitForFunction(() => (window as any).__arena.status === "playing" && (window as any).__arena.me !== undefined);
}

/**
 * Has the server move this page's player to (x, y) (`__arena.place`, on
 * pages of servers with ENABLE_TEST_HOOKS only) and waits until both the server's copy and the drawn player are
 * there. Input frames still on their way (a group waiting to fill, frames in
 * the server's play-out queue) can move the player again just after the
 * move: then it is placed again, up to `attempts` times.
 */
export async function placeAt(page: Page, x: number, y: number, attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(([px, py]) => (window as any).__arena.place(px, py), [x, y]);
    try {
      await page.waitForFunction(
        ([px, py]) => {
          const a = (window as any).__arena;
          return a.server?.x === px && a.server?.y === py && Math.abs(a.me.x - px) < 0.5 && Math.abs(a.me.y - py) < 0.5;
        },
        [x, y],
        { timeout: 3000 },
      );
      return;
    } catch (error) {
      if (attempt >= attempts) throw new Error(`the player was not placed at (${x}, ${y}) in ${attempts} attempts`, { cause: error });
    }
  }
}
