import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@colyseus/sdk";
import type { Browser, Page } from "playwright-core";
import { ArenaState, PROTOCOL_VERSION } from "@arena/shared";
import { type ArenaRoomClient, freePort, redisSkipReason, request, type ServerProcess, spawnServer, TestPlayer, useDatabase, waitFor } from "@arena/testkit";
import { arena, browserSkipReason, launch, openPlayer, quickPlay } from "./helpers/browser.ts";

const skip = browserSkipReason() || (await redisSkipReason());
if (skip) console.log(`# skipping the browser migration test: ${skip}`);

/** This file's own database on the shared Redis. */
const DB = 13;

/**
 * The browser client follows a match to another process by itself: a
 * Chromium player and two SDK players in a match on B; B is killed; all
 * three are back in the same match on A, the browser without any help.
 */
describe("a match moves to another process, with a player in Chromium", { skip }, () => {
  let db: Awaited<ReturnType<typeof useDatabase>>;
  const procs: ServerProcess[] = [];
  const sdkPlayers: TestPlayer[] = [];
  let browser: Browser;
  let page: Page;

  /** Both processes' ports, chosen up front: a page of either may open sockets on the other, as under one public name. */
  let ports: number[];

  async function start(port: number): Promise<ServerProcess> {
    const proc = await spawnServer({
      PORT: String(port),
      PUBLIC_ADDRESS: `127.0.0.1:${port}`,
      REDIS_URL: db.url,
      ENABLE_TEST_HOOKS: "1",
      RECONNECT_GRACE_SECONDS: "20",
      // The SDK players below retry often, from the same address as the page.
      RATE_JOINS_PER_MINUTE: "100000",
      RATE_CONNECTIONS_PER_MINUTE: "100000",
      ALLOWED_ORIGINS: ports.map((p) => `http://127.0.0.1:${p}`).join(","),
    });
    procs.push(proc);
    return proc;
  }

  before(async () => {
    db = await useDatabase(DB);
    ports = [await freePort(), await freePort()];
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await Promise.all(sdkPlayers.map((p) => p.leave()));
    await Promise.all(procs.map((p) => p.stop()));
    await db?.flush();
  });

  it("SIGKILL of the hosting process: the page rejoins the same match on the survivor by itself, as do the SDK players", async () => {
    const b = await start(ports[1]);
    const join = async (method: "create" | "joinById", name: string, roomId?: string) => {
      const client = new Client(b.endpoint);
      const options = { name, protocol: PROTOCOL_VERSION };
      const room = method === "create" ? await client.create("arena", options, ArenaState) : await client.joinById(roomId!, options, ArenaState);
      const player = new TestPlayer(room as ArenaRoomClient);
      player.room.reconnection.enabled = false;
      sdkPlayers.push(player);
      return player;
    };
    const ann = await join("create", "Ann");
    const bob = await join("joinById", "Bob", ann.room.roomId);
    const a = await start(ports[0]);
    // The page is A's (as a load-balanced name would be); quick play fills the only open room, on B.
    page = await openPlayer(browser, `${a.endpoint}/`);
    await quickPlay(page, "Cleo");
    const roomId = await arena(page, (w) => w.roomId);
    assert.equal(roomId, ann.room.roomId);
    const cleoId = await arena(page, (w) => w.sessionId);
    await page.evaluate(() => (window as any).__arena.place(500, 150));
    await waitFor(
      "Cleo placed, in the match's snapshot",
      async () => {
        const json = await db.hget(`arena:match:${roomId}`, "snapshot");
        const players = json === null ? [] : (JSON.parse(json).world.players as [string, { x: number }][]);
        return players.find(([id]) => id === cleoId)?.[1].x === 500;
      },
      5000,
    );

    const killedAt = Date.now();
    b.child.kill("SIGKILL");
    await page.waitForFunction(() => (window as any).__arena.status === "reconnecting", null, { timeout: 5000 });
    const comeBack = (player: TestPlayer) =>
      waitFor(`${player.id} back`, () => new Client(a.endpoint).reconnect(player.room.reconnectionToken, ArenaState), 10_000);
    const [ann2] = await Promise.all([comeBack(ann), comeBack(bob)]);
    await page.waitForFunction(() => (window as any).__arena.status === "playing", null, { timeout: 10_000 });
    const backMs = Date.now() - killedAt;
    console.log(`# SIGKILL to the browser player back: ${backMs} ms`);
    assert.ok(backMs < 10_000, `back within 10 s (${backMs} ms)`);
    assert.equal(await arena(page, (w) => w.roomId), roomId, "the same match");
    assert.equal(await arena(page, (w) => w.sessionId), cleoId, "the same player");
    assert.equal(await arena(page, (w) => w.server?.x), 500, "where it was");
    const listed = (await request(a.endpoint, "GET", "/api/rooms")).body.rooms as { roomId: string }[];
    assert.ok(listed.some((r) => r.roomId === roomId));
    // It plays on: a held key moves it, and the SDK players see it.
    await page.keyboard.down("ArrowDown");
    await waitFor("Cleo moves, seen by Ann", () => ((ann2 as ArenaRoomClient).state.players.get(cleoId)?.y ?? 0) > 170, 5000);
    await page.keyboard.up("ArrowDown");
    for (const room of [ann2]) sdkPlayers.push(new TestPlayer(room as ArenaRoomClient));
  });
});
