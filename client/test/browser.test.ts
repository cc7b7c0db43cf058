import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { PLAYER_RADIUS_PX, WALLS } from "@arena/shared";
import { spawnServer, type ServerProcess, TcpProxy } from "@arena/testkit";
import { arena, browserSkipReason, launch, openPlayer, placeAt, quickPlay, savedToken, windowPathsTo } from "./helpers/browser.ts";

const skip = browserSkipReason();
if (skip) console.log(`# skipping the browser tests: ${skip}`);

/** Moves the mouse over arena point (x, y) on this page. */
async function aimAt(page: Page, x: number, y: number): Promise<void> {
  const box = await page.evaluate(() => {
    const r = document.querySelector("#game canvas")!.getBoundingClientRect();
    return { left: r.left, top: r.top, scale: r.width / 1600 };
  });
  await page.mouse.move(box.left + x * box.scale, box.top + y * box.scale);
}

describe("the game in Chromium", { skip }, () => {
  let server: ServerProcess;
  let proxy: TcpProxy;
  let browser: Browser;
  const pages: Page[] = [];

  /** Closes every page; players in a match press Leave first (closing a tab would hold their seat). */
  async function closeAll(): Promise<void> {
    await Promise.all(
      pages.splice(0).map(async (page) => {
        if (await page.isVisible("#leave")) {
          await page.click("#leave");
          await page.waitForFunction(() => (window as any).__arena.status !== "playing");
        }
        await page.context().close();
      }),
    );
  }

  async function player(viaProxy = false): Promise<Page> {
    const base = viaProxy ? `${proxy.endpoint}/?server=${encodeURIComponent(proxy.endpoint)}` : `${server.endpoint}/`;
    const page = await openPlayer(browser, base);
    pages.push(page);
    return page;
  }

  before(async () => {
    server = await spawnServer({ ENABLE_TEST_HOOKS: "1", RECONNECT_GRACE_SECONDS: "20" });
    proxy = await TcpProxy.start(server.port);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await server?.stop();
  });

  it("two pages quick-play into one room; a held key moves the local player at once and the other page sees it move", async () => {
    const a = await player();
    const b = await player();
    await quickPlay(a, "Ann");
    await quickPlay(b, "Bob");
    assert.equal(await arena(a, (w) => w.roomId), await arena(b, (w) => w.roomId));
    const annId = await arena(a, (w) => w.sessionId);
    await b.waitForFunction((id) => (window as any).__arena.players.some((p: any) => p.id === id), annId);

    // Put Ann in the open and look at her from both pages.
    await placeAt(a, 800, 300);
    const seenByBob = () => arena(b, (w) => w.players.find((p: any) => !p.isMe)?.x as number);
    await b.waitForFunction(() => Math.abs((window as any).__arena.players.find((p: any) => !p.isMe).x - 800) < 0.5);

    await a.keyboard.down("ArrowRight");
    const framesToMove = (
      (await (
        await a.waitForFunction(() => {
          const frames = (window as any).__arena.inputToScreenFrames;
          return frames >= 0 ? { frames } : null;
        })
      ).jsonValue()) as { frames: number }
    ).frames;
    console.log(`# local movement drawn ${framesToMove} frame(s) after the key press`);
    assert.ok(framesToMove <= 1, `drawn ${framesToMove} frames after the key press`);
    await b.waitForFunction(() => (window as any).__arena.players.find((p: any) => !p.isMe).x > 840);
    await a.keyboard.up("ArrowRight");
    assert.ok((await seenByBob()) > 840);
  });

  it("really renders the arena (pixels of a wall, the floor and a player)", async () => {
    const a = pages[0];
    await placeAt(a, 300, 400);
    const wall = WALLS[4];
    const wallPixel = await arena(a, (w) => w.pixel(800, 600));
    const floorPixel = await arena(a, (w) => w.pixel(40, 1150));
    assert.deepEqual(
      wallPixel.map((c: number) => Math.round(c / 8)),
      [0x5d, 0x6d, 0x7a].map((c) => Math.round(c / 8)),
      `wall at ${wall.x}`,
    );
    assert.deepEqual(
      floorPixel.map((c: number) => Math.round(c / 8)),
      [0x1d, 0x25, 0x2d].map((c) => Math.round(c / 8)),
    );
    // Eight points on a ring inside the local player's disc: most are its light blue
    // (the aim line and the shield ring may cover a few).
    const ring = Array.from({ length: 8 }, (_, i) => [300 + Math.cos(i) * PLAYER_RADIUS_PX * 0.6, 400 + Math.sin(i) * PLAYER_RADIUS_PX * 0.6]);
    // One snapshot at a time: Phaser keeps a single pending pixel snapshot.
    const colours: number[][] = [];
    for (const point of ring) colours.push((await a.evaluate(([x, y]) => (window as any).__arena.pixel(x, y), point)) as number[]);
    const blue = colours.filter(([r, , b]) => b > 200 && r < 120).length;
    assert.ok(blue >= 5, `the local player is drawn light blue: ${JSON.stringify(colours)}`);
    assert.equal(await arena(a, (w) => w.renderer), "WEBGL");
    await a.screenshot({ path: "/tmp/arena-browser-test.png", timeout: 10_000 });
  });

  it("a connection cut for a few seconds comes back as the same player, with its score", async () => {
    await closeAll();
    const a = await player(true); // through the proxy the test can cut
    const b = await player();
    await quickPlay(a, "Ann");
    await quickPlay(b, "Bob");
    const annId = await arena(a, (w) => w.sessionId);
    // Ann scores: both in the open, Ann holds the mouse on Bob.
    await Promise.all([placeAt(a, 300, 150), placeAt(b, 600, 150)]);
    const bobId = await arena(b, (w) => w.sessionId);
    await a.waitForFunction(
      (ids) => {
        const ps = (window as any).__arena.players.filter((p: any) => ids.includes(p.id));
        return ps.length === 2 && ps.every((p: any) => !p.shielded && Math.abs(p.y - 150) < 0.5);
      },
      [annId, bobId],
      { timeout: 10_000 },
    );
    await aimAt(a, 600, 150);
    await a.mouse.down();
    await a.waitForFunction(() => (window as any).__arena.server?.score >= 1, null, { timeout: 10_000 });
    await a.mouse.up();
    const before = { token: await savedToken(a), server: await arena(a, (w) => w.server) };

    proxy.cut();
    await a.waitForFunction(() => (window as any).__arena.status === "reconnecting");
    assert.equal(await a.isVisible("#reconnecting"), true, "the player is told it is reconnecting");
    await b.waitForFunction((id) => (window as any).__arena.players.find((p: any) => p.id === id)?.connected === false, annId);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(await arena(a, (w) => w.status), "reconnecting", "still cut after 3 s");
    proxy.restore();

    // A rejoin is "playing" when the room answers; its state comes in the next message.
    await a.waitForFunction(() => (window as any).__arena.status === "playing" && (window as any).__arena.server !== undefined, null, { timeout: 15_000 });
    const after = await arena(a, (w) => ({ id: w.sessionId, stats: w.stats, server: w.server }));
    assert.equal(after.id, annId, "same session");
    assert.notEqual(await savedToken(a), before.token, "a new reconnection token: a real rejoin");
    assert.ok(after.stats.drops >= 1 && after.stats.rejoins >= 1, JSON.stringify(after.stats));
    assert.equal(after.server.score, before.server.score);
    assert.equal(await a.isVisible("#reconnecting"), false);
    await b.waitForFunction((id) => (window as any).__arena.players.find((p: any) => p.id === id)?.connected === true, annId);
  });

  it("a reload rejoins the same player", async () => {
    const a = pages[0];
    const annId = await arena(a, (w) => w.sessionId);
    await a.reload();
    await a.waitForFunction(() => (window as any).__arena?.status === "playing" && (window as any).__arena.me !== undefined, null, { timeout: 15_000 });
    assert.equal(await arena(a, (w) => w.sessionId), annId);
    assert.equal(await a.isVisible("#menu"), false);
  });

  it("a private room created on one page is joined by code on another, and by its invite link", async () => {
    await closeAll();
    const host = await player();
    await host.fill("#name", "Host");
    await host.click("#create-private");
    await host.waitForFunction(() => (window as any).__arena.status === "playing");
    const code = (await host.textContent("#invite-code"))!.trim();
    const link = await host.getAttribute("#invite-link", "href");
    assert.match(code, /^[2-9A-HJKMNP-Z]{6}$/);
    assert.ok(link?.includes(`code=${code}`) && !/token/i.test(link), link ?? "");

    const friend = await player();
    await friend.fill("#name", "Friend");
    await friend.fill("#code", code.toLowerCase());
    await friend.click("#join-code");
    await friend.waitForFunction(() => (window as any).__arena.status === "playing");
    assert.equal(await arena(friend, (w) => w.roomId), await arena(host, (w) => w.roomId));

    const context = await browser.newContext();
    await context.addInitScript(() => localStorage.setItem("arena.name", "Linked"));
    const linked = await context.newPage();
    pages.push(linked);
    await linked.goto(link!);
    await linked.waitForFunction(() => (window as any).__arena?.status === "playing", null, { timeout: 15_000 });
    assert.equal(await arena(linked, (w) => w.roomId), await arena(host, (w) => w.roomId));
  });

  it("a socket that stalls without closing is caught by the watchdog and rejoined", async () => {
    await closeAll();
    const a = await player(true);
    await quickPlay(a, "Stalled");
    const id = await arena(a, (w) => w.sessionId);
    // Nothing goes through, nothing closes: only the watchdog can tell.
    proxy.stall();
    await a.waitForFunction(() => (window as any).__arena.stats.watchdogTrips >= 1, null, { timeout: 10_000 });
    assert.equal(await arena(a, (w) => w.status), "reconnecting");
    assert.equal(await arena(a, (w) => w.stats.drops), 1, "no close event: the socket looked open");
    proxy.restore();
    await a.waitForFunction(() => (window as any).__arena.status === "playing", null, { timeout: 20_000 });
    assert.equal(await arena(a, (w) => w.sessionId), id);
  });

  it("chat shows what players type as text, never as HTML", async () => {
    await closeAll();
    const a = await player();
    const b = await player();
    await quickPlay(a, "Reader");
    await quickPlay(b, "Chatter");
    await b.press("#chat-input", "Enter").catch(() => {});
    await b.fill("#chat-input", "<img src=x onerror=alert(1)> hi");
    await b.press("#chat-input", "Enter");
    await a.waitForFunction(() => document.querySelector("#chat-log")?.textContent?.includes("hi"));
    const log = await a.$eval("#chat-log", (el) => ({ text: el.textContent, images: el.querySelectorAll("img").length }));
    assert.match(log.text ?? "", /<img src=x onerror=alert\(1\)> hi/);
    assert.equal(log.images, 0);
  });

  it("a wrong code gets a clear message", async () => {
    const page = await player();
    await page.fill("#name", "Guesser");
    await page.fill("#code", "ZZZZZZ");
    await page.click("#join-code");
    await page.waitForFunction(() => (window as any).__arena.menuError !== "");
    assert.match((await page.textContent("#menu-error")) ?? "", /No room has that code/);
    assert.equal(await arena(page, (w) => w.status), "idle");
  });

  it("a page of a server with test hooks has the test actions, and still no token on window", async () => {
    const page = await player();
    await quickPlay(page, "Tester");
    assert.deepEqual(await arena(page, (w) => [typeof w.drop, typeof w.place]), ["function", "function"]);
    const token = (await savedToken(page))?.split(":")[1];
    assert.ok(token, "a token is saved for a reload");
    assert.deepEqual(await windowPathsTo(page, token), []);
  });
});

describe("a page of a server without test hooks (as in production)", { skip }, () => {
  let server: ServerProcess;
  let browser: Browser;

  before(async () => {
    server = await spawnServer({ ENABLE_TEST_HOOKS: "0" });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("offers no test actions and keeps the reconnection token off window", async () => {
    const page = await openPlayer(browser, `${server.endpoint}/`);
    await quickPlay(page, "Player");
    const keys = await arena(page, (w) => Object.keys(w));
    assert.ok(keys.includes("status"), "the read-only surface is there");
    assert.deepEqual(
      keys.filter((key) => ["drop", "place", "token"].includes(key)),
      [],
      keys.join(", "),
    );
    // The token's secret part (after "roomId:"), wherever a script could read it.
    const token = (await savedToken(page))?.split(":")[1];
    assert.ok(token, "a token is saved for a reload");
    assert.deepEqual(await windowPathsTo(page, token), []);
    await page.click("#leave");
    await page.waitForFunction(() => (window as any).__arena.status !== "playing");
  });
});
