import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { ErrorCode, type ReplayMeta } from "@arena/shared";
import { REPLAY_ID, recordMatch, request, spawnServer, TestPlayer, waitFor, type ServerProcess } from "@arena/testkit";
import { arena, browserSkipReason, launch, openPlayer } from "./helpers/browser.ts";

const skip = browserSkipReason();
if (skip) console.log(`# skipping the replay player's browser tests: ${skip}`);

/** Seconds of match recorded: long enough to measure 1x and 2x on. */
const MATCH_SECONDS = 7;

/** Waits for the replay page's tick to reach `tick`; the tick and the page's clock, read in the same turn. */
async function tickReached(page: Page, tick: number): Promise<{ tick: number; at: number }> {
  const handle = await page.waitForFunction(
    (t) => {
      const now = (window as any).__arena.replay?.tick ?? -1;
      return now >= t && { tick: now, at: performance.now() };
    },
    tick,
    { timeout: 20_000 },
  );
  return (await handle.jsonValue()) as { tick: number; at: number };
}

/** Ticks per second of page time while playing, from tick `from` over at least `ticks`. */
async function tickRate(page: Page, from: number, ticks: number): Promise<number> {
  const start = await tickReached(page, from);
  const end = await tickReached(page, start.tick + ticks);
  return ((end.tick - start.tick) * 1000) / (end.at - start.at);
}

/** Moves the seek bar as a user drags it. */
async function seekTo(page: Page, tick: number): Promise<void> {
  await page.$eval(
    "#replay-seek",
    (input, value) => {
      (input as HTMLInputElement).value = String(value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    },
    tick,
  );
}

describe("the replay player in Chromium", { skip }, () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;
  let replay: ReplayMeta;
  const pages: Page[] = [];

  async function open(path: string): Promise<Page> {
    const page = await openPlayer(browser, `${server.endpoint}${path}`);
    pages.push(page);
    return page;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "arena-replay-player-"));
    server = await spawnServer({ REPLAY_DIR: dir });
    browser = await launch();
    // A short match by two SDK clients: moving, aiming, firing.
    const ann = await TestPlayer.join(server.endpoint, "Ann");
    const bob = await TestPlayer.join(server.endpoint, "Bob");
    assert.equal(ann.room.roomId, bob.room.roomId);
    Object.assign(ann.controls, { moveX: 1, moveY: 0.3, fire: true });
    Object.assign(bob.controls, { moveX: -0.5, moveY: 1, aim: 2, fire: true });
    ann.play();
    bob.play();
    await waitFor("the match to run", () => ann.patches >= MATCH_SECONDS * 20, MATCH_SECONDS * 1000 + 10_000);
    await Promise.all([ann.leave(), bob.leave()]);
    replay = await waitFor("the match's replay", async () => (await request(server.endpoint, "GET", "/api/replays")).body.replays[0] as ReplayMeta, 15_000);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("plays a replay: the tick advances, pause holds it, the seek bar moves it back, 2x runs about twice as fast, a player can be followed", async () => {
    const page = await open(`/?replay=${replay.id}`);
    await page.waitForFunction(() => (window as any).__arena.replay?.totalTicks > 0);
    assert.equal(await arena(page, (w) => w.replay.totalTicks), replay.ticks);
    assert.equal(await page.isVisible("#replay"), true);
    assert.equal(await page.isVisible("#menu"), false);
    await tickReached(page, 15);

    await page.click("#replay-play");
    assert.equal(await arena(page, (w) => w.replay.playing), false);
    const paused = await arena(page, (w) => w.replay.tick as number);
    const frames = await arena(page, (w) => w.frames as number);
    await page.waitForFunction((f) => (window as any).__arena.frames >= f + 15, frames);
    assert.equal(await arena(page, (w) => w.replay.tick), paused, "no tick runs while paused");

    await seekTo(page, 5);
    assert.equal(await arena(page, (w) => w.replay.tick), 5, "the seek bar moves it back");
    assert.equal(
      await page.$eval("#replay-time", (e) => e.textContent),
      `0:00 / ${Math.floor(replay.ticks / 30 / 60)}:${String(Math.floor(replay.ticks / 30) % 60).padStart(2, "0")}`,
    );

    // The keys: right and left arrows seek 5 s (150 ticks) on and back, Space plays.
    await page.keyboard.press("ArrowRight");
    assert.equal(await arena(page, (w) => w.replay.tick), 155);
    await page.keyboard.press("ArrowLeft");
    assert.equal(await arena(page, (w) => w.replay.tick), 5);
    await page.keyboard.press(" ");
    assert.equal(await arena(page, (w) => w.replay.playing), true);
    await page.keyboard.press(" ");
    assert.equal(await arena(page, (w) => w.replay.playing), false);
    await seekTo(page, 0);

    // 1x, then 2x, each measured from the start: a ratio of rates, loosely.
    await page.click("#replay-play");
    const normal = await tickRate(page, 8, 60);
    await seekTo(page, 0);
    await page.click("#replay-speed");
    assert.equal(await arena(page, (w) => w.replay.speed), 2);
    assert.equal(await page.$eval("#replay-speed", (e) => e.textContent), "2x");
    const double = await tickRate(page, 8, 120);
    console.log(`# replay at 1x: ${normal.toFixed(1)} ticks/s; at 2x: ${double.toFixed(1)} ticks/s`);
    assert.ok(double / normal > 1.4 && double / normal < 2.8, `2x ran ${(double / normal).toFixed(2)} times as fast as 1x`);

    // Follow, a second in (both have joined and neither has been hit: the camera comes close to a living player
    // only): ] cycles to the first player, the list shows it; Escape frees the camera.
    await page.click("#replay-play");
    await seekTo(page, 30);
    const players = (await arena(page, (w) => w.replay.players)) as { id: string; name: string }[];
    assert.deepEqual(players.map((p) => p.name).sort(), ["Ann", "Bob"]);
    await page.keyboard.press("]");
    assert.equal(await arena(page, (w) => w.replay.followedId), players[0].id);
    await page.waitForFunction((id) => (document.getElementById("replay-follow") as HTMLSelectElement).value === id, players[0].id);
    await page.keyboard.press("]");
    assert.equal(await arena(page, (w) => w.replay.followedId), players[1].id);
    await page.selectOption("#replay-follow", players[0].id);
    assert.equal(await arena(page, (w) => w.replay.followedId), players[0].id);
    await page.waitForFunction(() => (window as any).__arena.replay.camera?.zoom === 2);
    await page.keyboard.press("Escape");
    assert.equal(await arena(page, (w) => w.replay.followedId), undefined);
    await page.waitForFunction(() => (window as any).__arena.replay.camera?.zoom === 1);

    // Played to the end, it stops there.
    await page.click("#replay-play");
    await page.waitForFunction((total) => (window as any).__arena.replay.tick === total && !(window as any).__arena.replay.playing, replay.ticks, {
      timeout: 20_000,
    });
  });

  it("shows the kill feed as the replay plays, and the scoreboard between rounds, wherever the seek bar puts it", async () => {
    // A recorded match with kills and a round of 4 s (its first intermission from tick 120).
    const match = recordMatch(2, 600, 4);
    assert.ok(match.events.kills > 0 && match.events.rounds > 0);
    await writeFile(join(dir, `${REPLAY_ID}.replay.gz`), gzipSync(match.bytes));
    const meta: ReplayMeta = { id: REPLAY_ID, roomId: "room1", mode: "ffa", startedAt: 1000, endedAt: 2000, ticks: 600, players: ["Name p0"], bytes: 0 };
    await writeFile(join(dir, `${REPLAY_ID}.json`), JSON.stringify(meta));
    const page = await open(`/?replay=${REPLAY_ID}`);
    await page.waitForFunction(() => (window as any).__arena.replay?.totalTicks > 0);
    assert.equal(await page.$eval("#feed", (e) => (e as HTMLElement).hidden), false, "the feed is shown (empty until a kill)");
    await page.click("#replay-speed");
    await page.waitForFunction(() => [...document.querySelectorAll("#feed li")].some((li) => / took out /.test(li.textContent ?? "")), undefined, {
      timeout: 20_000,
    });
    await page.click("#replay-play");
    await seekTo(page, 125);
    await page.waitForFunction(() => !(document.getElementById("scoreboard") as HTMLElement).hidden);
    const lines = await page.locator("#scoreboard-list li").allInnerTexts();
    assert.ok(lines.length > 0 && lines.every((line) => /^.+: -?\d+$/.test(line)), JSON.stringify(lines));
    await seekTo(page, 60);
    await page.waitForFunction(() => (document.getElementById("scoreboard") as HTMLElement).hidden);
  });

  it("the menu lists the replay and links to it", async () => {
    const page = await open("/");
    const link = page.locator(`#replay-list a[data-replay-id="${replay.id}"]`);
    await link.waitFor();
    assert.match((await link.textContent()) ?? "", /Ann, Bob|Bob, Ann/);
    await link.click();
    await page.waitForURL(`**/?replay=${replay.id}`);
    await page.waitForFunction(() => (window as any).__arena?.replay?.tick > 0);
  });

  it("says what is wrong with a link that is not a replay id, an unknown replay and a damaged one, never a blank page", async () => {
    const damaged = "damaged_replay01";
    await writeFile(join(dir, `${damaged}.replay.gz`), gzipSync("ARPL but not a replay at all"));
    await writeFile(join(dir, `${damaged}.json`), JSON.stringify({ ...replay, id: damaged, bytes: 10 }));
    const cases: [string, RegExp][] = [
      ["..%2F..%2Fetc%2Fpasswd", /not a replay link/],
      ["unknown_replay01", new RegExp(ErrorCode.unknown_replay.message.replace(/[()]/g, "\\$&"))],
      [damaged, /damaged/],
    ];
    for (const [id, sentence] of cases) {
      const page = await open(`/?replay=${id}`);
      await page.waitForFunction(() => (window as any).__arena.replay?.error !== "");
      assert.match(await page.locator("#replay-message").innerText(), sentence, id);
      assert.equal(await page.isVisible("#replay-message"), true);
      assert.equal(await page.isVisible("#replay"), false);
      assert.equal(await page.isVisible("a.to-menu >> nth=1"), true, "a way back to the menu");
    }
  });
});
