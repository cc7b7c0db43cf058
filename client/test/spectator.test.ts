import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { Client } from "@colyseus/sdk";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { request, spawnServer, TestPlayer, waitFor, type ServerProcess } from "@arena/testkit";
import { arena, browserSkipReason, launch, openPlayer } from "./helpers/browser.ts";

const skip = browserSkipReason();
if (skip) console.log(`# skipping the spectator's browser tests: ${skip}`);

/** What a page draws of the players, by id. */
type Drawn = Record<string, { x: number; y: number; isMe: boolean }>;

function drawn(page: Page): Promise<Drawn> {
  return arena(page, (w) => Object.fromEntries(w.players.map((p: any) => [p.id, { x: p.x, y: p.y, isMe: p.isMe }])));
}

/** Sends the players back and forth (left and right, then up and down), so that they are seen moving whatever wall they meet. */
function wander(players: TestPlayer[]): () => void {
  let turn = 0;
  const timer = setInterval(() => {
    turn++;
    for (const [i, p] of players.entries()) {
      p.controls.moveX = turn % 4 < 2 ? (i % 2 ? 1 : -1) : 0;
      p.controls.moveY = turn % 4 >= 2 ? (turn % 8 < 4 ? 1 : -1) : 0;
    }
  }, 700);
  for (const p of players) p.play();
  return () => clearInterval(timer);
}

describe("watching a match in Chromium", { skip }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let players: TestPlayer[] = [];
  let stopWandering = () => {};
  const pages: Page[] = [];

  async function page(path: string): Promise<Page> {
    const p = await openPlayer(browser, `${server.endpoint}${path}`);
    pages.push(p);
    return p;
  }

  before(async () => {
    server = await spawnServer({ ENABLE_TEST_HOOKS: "1" });
    browser = await launch();
    // Two SDK players in one room (quick play fills the fullest room first), moving about.
    const ann = await TestPlayer.join(server.endpoint, "Ann");
    const bob = await TestPlayer.join(server.endpoint, "Bob");
    assert.equal(ann.room.roomId, bob.room.roomId);
    players = [ann, bob];
    stopWandering = wander(players);
  });
  after(async () => {
    stopWandering();
    await Promise.all(players.map((p) => p.leave()));
    await Promise.all(pages.map((p) => p.context().close()));
    await browser?.close();
    await server?.stop();
  });

  it("a page at /?watch=<roomId> sees the players move, is not one of them, follows one and cycles with Tab, ] and Shift+Tab, pans freely, and leaves to the menu", async () => {
    const roomId = players[0].room.roomId;
    const ids = players.map((p) => p.id).sort();
    const watcher = await page(`/?watch=${roomId}`);
    await watcher.waitForFunction(() => (window as any).__arena.spectating && (window as any).__arena.players.length === 2, null, { timeout: 15_000 });
    assert.equal(await arena(watcher, (w) => w.roomId), roomId);
    assert.equal(await arena(watcher, (w) => w.status), "playing");

    // They move on the spectator's screen (interpolated as remote players are).
    const first = await drawn(watcher);
    assert.deepEqual(Object.keys(first).sort(), ids);
    assert.ok(
      Object.values(first).every((p) => !p.isMe),
      "nobody drawn is the spectator",
    );
    await watcher.waitForFunction(
      (start: Drawn) => (window as any).__arena.players.filter((p: any) => Math.hypot(p.x - start[p.id].x, p.y - start[p.id].y) > 30).length === 2,
      first,
      { timeout: 10_000 },
    );

    // Not a player: not in the server's state, nor in the players' own copies of it.
    const spectatorId = await arena(watcher, (w) => w.sessionId);
    assert.ok(spectatorId);
    const { status, body } = await request(server.endpoint, "GET", `/api/__test/state/${roomId}`);
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body.players).sort(), ids);
    for (const p of players) assert.deepEqual([...p.state.players.keys()].sort(), ids);

    // The spectator's screen: the panel, no chat input, no score of its own; the address is the link to watch.
    assert.equal(await watcher.isVisible("#spectator"), true);
    assert.equal(await watcher.isVisible("#chat-input"), false);
    assert.equal(await watcher.isVisible("#hud-score"), false);
    assert.equal(await watcher.isVisible("#leave"), true);
    assert.match(watcher.url(), new RegExp(`[?&]watch=${roomId}`));

    // It follows a player at once; the camera is on that player (as far as the arena's edges allow).
    const followed = await arena(watcher, (w) => w.followedId as string);
    assert.ok(ids.includes(followed), followed);
    await watcher.waitForFunction(
      () => {
        const a = (window as any).__arena;
        const p = a.players.find((q: any) => q.id === a.followedId);
        const halfW = 800 / a.camera.zoom;
        const halfH = 600 / a.camera.zoom;
        const x = Math.min(1600 - halfW, Math.max(halfW, p.x));
        const y = Math.min(1200 - halfH, Math.max(halfH, p.y));
        return Math.abs(a.camera.x - x) < 1 && Math.abs(a.camera.y - y) < 1;
      },
      null,
      { timeout: 5000 },
    );
    const name = players.find((p) => p.id === followed) === players[0] ? "Ann" : "Bob";
    assert.equal((await watcher.textContent("#spectator-followed"))?.trim(), name);

    // Tab goes to the other player, ] to the next (back to the first, with two), Shift+Tab back again.
    const other = ids.find((id) => id !== followed)!;
    const cycle = async (key: string, expected: string) => {
      await watcher.keyboard.press(key);
      await watcher.waitForFunction((id) => (window as any).__arena.followedId === id, expected, { timeout: 3000 });
    };
    await cycle("Tab", other);
    await cycle("]", followed);
    await cycle("Shift+Tab", other);
    await cycle("[", followed);

    // Arrows pan a free camera: nobody followed, and the camera moves (inside the arena).
    const before = await arena(watcher, (w) => w.camera);
    const goRight = before.x < 800;
    await watcher.keyboard.down(goRight ? "ArrowRight" : "ArrowLeft");
    await watcher.waitForFunction(
      ([x, right]) => {
        const a = (window as any).__arena;
        return a.followedId === undefined && (right ? a.camera.x > (x as number) + 50 : a.camera.x < (x as number) - 50);
      },
      [before.x, goRight] as const,
      { timeout: 5000 },
    );
    await watcher.keyboard.up(goRight ? "ArrowRight" : "ArrowLeft");
    assert.equal((await watcher.textContent("#spectator-followed"))?.trim(), "nobody (free camera)");

    // Nothing the spectator did moved anyone or made it a player; Leave returns to the menu.
    assert.deepEqual([...players[0].state.players.keys()].sort(), ids);
    await watcher.click("#leave");
    await watcher.waitForFunction(() => (window as any).__arena.status !== "playing" && !(window as any).__arena.spectating);
    assert.equal(await watcher.isVisible("#menu"), true);
    assert.equal(await watcher.isVisible("#spectator"), false);
    assert.doesNotMatch(watcher.url(), /watch=/);
  });

  it("a page at /?watch=<a room that is not there> says so on the menu; a malformed link too, without asking the server", async () => {
    const gone = await page("/?watch=nosuchroom");
    await gone.waitForFunction(() => (window as any).__arena.menuError !== "", null, { timeout: 10_000 });
    assert.match(await arena(gone, (w) => w.menuError), /That match has ended/);
    assert.equal(await gone.isVisible("#menu"), true);
    assert.equal(await arena(gone, (w) => [w.status, w.spectating].join()), "idle,false");
    assert.doesNotMatch(gone.url(), /watch=/, "the broken link leaves the address bar");

    const requests: string[] = [];
    const context = await browser.newContext();
    const broken = await context.newPage();
    pages.push(broken);
    broken.on("request", (r) => requests.push(r.url()));
    await broken.goto(`${server.endpoint}/?watch=${encodeURIComponent("../../etc/passwd")}`);
    await broken.waitForFunction(() => (window as any).__arena?.menuError !== "" && (window as any).__arena?.menuError !== undefined, null, {
      timeout: 10_000,
    });
    assert.match(await arena(broken, (w) => w.menuError), /watch link is broken/);
    assert.deepEqual(
      requests.filter((url) => url.includes("joinById")),
      [],
    );
  });

  it("the room list shows how many watch and has a Watch button, even on a full room", async () => {
    const roomId = players[0].room.roomId;
    const first = await page(`/?watch=${roomId}`);
    await first.waitForFunction(() => (window as any).__arena.spectating && (window as any).__arena.status === "playing", null, { timeout: 15_000 });

    const menu = await page("/");
    const row = menu.locator("#room-list li", { hasText: "1 watching" });
    await row.waitFor({ timeout: 10_000 });
    assert.match((await row.textContent()) ?? "", /2 \/ \d+ players, 1 watching/);
    await row.locator("button.watch").click();
    await menu.waitForFunction(() => (window as any).__arena.spectating && (window as any).__arena.status === "playing", null, { timeout: 15_000 });
    assert.equal(await arena(menu, (w) => w.roomId), roomId);
    assert.match(menu.url(), new RegExp(`[?&]watch=${roomId}`));
    const { body } = await request(server.endpoint, "GET", `/api/__test/state/${roomId}`);
    assert.equal(Object.keys(body.players).length, 2, "two spectators later, still two players");
    for (const p of [first, menu]) {
      await p.click("#leave");
      await p.waitForFunction(() => !(window as any).__arena.spectating);
    }
  });

  it("a private room is watched with its code (Watch beside Join by code), never as a player", async () => {
    const created = await request(server.endpoint, "POST", "/api/private-rooms", { name: "Host", protocol: PROTOCOL_VERSION });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const host = new TestPlayer(await new Client(server.endpoint).consumeSeatReservation(created.body.seat, ArenaState));
    players.push(host);
    const code = created.body.code as string;

    const watcher = await page("/");
    await watcher.fill("#code", code.toLowerCase());
    await watcher.click("#watch-code");
    await watcher.waitForFunction(() => (window as any).__arena.spectating && (window as any).__arena.players.length === 1, null, { timeout: 15_000 });
    assert.equal(await arena(watcher, (w) => w.roomId), host.room.roomId);
    assert.equal(await arena(watcher, (w) => w.followedId), host.id);
    await waitFor("the host's state", () => host.state.players.size === 1, 3000);
    assert.deepEqual([...host.state.players.keys()], [host.id], "the spectator is not a player");

    // A wrong code is told as for a player.
    await watcher.click("#leave");
    await watcher.waitForFunction(() => !(window as any).__arena.spectating);
    await watcher.fill("#code", "ZZZZZZ");
    await watcher.click("#watch-code");
    await watcher.waitForFunction(() => (window as any).__arena.menuError !== "");
    assert.match(await arena(watcher, (w) => w.menuError), /No room has that code/);
  });
});
