import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { PLAYER_RADIUS_PX, WALLS } from "@arena/shared";
import { spawnServer, type ServerProcess } from "../../server/test/helpers/servers.ts";
import { TcpProxy } from "../../server/test/helpers/tcpProxy.ts";
import { arena, browserSkipReason, launch, openPlayer, quickPlay } from "./helpers/browser.ts";

const skip = browserSkipReason();
if (skip) console.log(`# skipping the browser tests: ${skip}`);

describe("the game in Chromium", { skip }, () => {
  let server: ServerProcess;
  let proxy: TcpProxy;
  let browser: Browser;
  const pages: Page[] = [];

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
    await a.evaluate(() => (window as any).__arena.place(800, 300));
    await a.waitForFunction(() => (window as any).__arena.server?.x === 800);
    await a.waitForFunction(() => Math.abs((window as any).__arena.me.x - 800) < 0.5);
    const seenByBob = () => arena(b, (w) => w.players.find((p: any) => !p.isMe)?.x as number);
    await b.waitForFunction(() => Math.abs((window as any).__arena.players.find((p: any) => !p.isMe).x - 800) < 0.5);

    await a.keyboard.down("ArrowRight");
    const framesToMove = (await (await a.waitForFunction(() => {
      const frames = (window as any).__arena.inputToScreenFrames;
      return frames >= 0 ? { frames } : null;
    })).jsonValue() as { frames: number }).frames;
    console.log(`# local movement drawn ${framesToMove} frame(s) after the key press`);
    assert.ok(framesToMove <= 1, `drawn ${framesToMove} frames after the key press`);
    await b.waitForFunction(() => (window as any).__arena.players.find((p: any) => !p.isMe).x > 840);
    await a.keyboard.up("ArrowRight");
    assert.ok((await seenByBob()) > 840);
  });

  it("really renders the arena (pixels of a wall, the floor and a player)", async () => {
    const a = pages[0];
    await a.evaluate(() => (window as any).__arena.place(300, 400));
    await a.waitForFunction(() => Math.abs((window as any).__arena.me.x - 300) < 0.5 && Math.abs((window as any).__arena.me.y - 400) < 0.5);
    const wall = WALLS[4];
    const wallPixel = await arena(a, (w) => w.pixel(800, 600));
    const floorPixel = await arena(a, (w) => w.pixel(40, 1150));
    assert.deepEqual(wallPixel.map((c: number) => Math.round(c / 8)), [0x5d, 0x6d, 0x7a].map((c) => Math.round(c / 8)), `wall at ${wall.x}`);
    assert.deepEqual(floorPixel.map((c: number) => Math.round(c / 8)), [0x1d, 0x25, 0x2d].map((c) => Math.round(c / 8)));
    // Eight points on a ring inside the local player's disc: most are its light blue
    // (the aim line and the shield ring may cover a few).
    const ring = Array.from({ length: 8 }, (_, i) => [300 + Math.cos(i) * PLAYER_RADIUS_PX * 0.6, 400 + Math.sin(i) * PLAYER_RADIUS_PX * 0.6]);
    // One snapshot at a time: Phaser keeps a single pending pixel snapshot.
    const colours: number[][] = [];
    for (const point of ring) colours.push(await a.evaluate(([x, y]) => (window as any).__arena.pixel(x, y), point) as number[]);
    const blue = colours.filter(([r, , b]) => b > 200 && r < 120).length;
    assert.ok(blue >= 5, `the local player is drawn light blue: ${JSON.stringify(colours)}`);
    assert.equal(await arena(a, (w) => w.renderer), "WEBGL");
    await a.screenshot({ path: "/tmp/arena-browser-test.png", timeout: 10_000 });
  });
});
