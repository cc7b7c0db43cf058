import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { spawnServer, waitFor, type ServerProcess } from "@arena/testkit";
import { ArenaConnection } from "../src/net/ArenaConnection.ts";
import { GameSession, type Controls, type View } from "../src/net/GameSession.ts";
import { MAX_DELAY_MS, MIN_DELAY_MS } from "../src/net/InterpolationDelay.ts";

/** Round trip added by the server to every client (Colyseus COLYSEUS_LATENCY). */
const ROUND_TRIP_MS = 100;
const FRAME_MS = 1000 / 60;

/**
 * The browser client's spectator session (ArenaConnection watching +
 * GameSession, everything but Phaser) in Node, with the real SDK against the
 * real server at 100 ms round trip, beside two players who play as the
 * browser does.
 */
describe(`a spectator's session, headless, ${ROUND_TRIP_MS} ms round trip`, () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer({ COLYSEUS_LATENCY: String(ROUND_TRIP_MS), ENABLE_TEST_HOOKS: "1" });
  });
  after(() => server.stop());

  it("draws every player interpolated (none as its own), shows shots and kills, and sends no input frame and no chat, whatever its controls", async () => {
    const ann = new ArenaConnection(server.endpoint, undefined);
    await ann.quickPlay("Ann");
    const bob = new ArenaConnection(server.endpoint, undefined);
    await bob.joinRoom(ann.room!.roomId, "Bob");
    const eve = new ArenaConnection(server.endpoint, undefined);
    await eve.watchRoom(ann.room!.roomId, "Eve");
    const sessions = [new GameSession(ann), new GameSession(bob), new GameSession(eve)];
    const [annSession, bobSession, eveSession] = sessions;
    const annControls: Controls = { moveX: 0, moveY: 0, aim: 0, fire: false };
    const bobControls: Controls = { moveX: 0, moveY: 0, aim: Math.PI, fire: false };
    // The spectator holds every key: nothing of it may reach the server.
    const eveControls: Controls = { moveX: 1, moveY: 1, aim: 1, fire: true };
    const chats: string[] = [];
    for (const c of [ann, bob]) c.on("message", (type, payload) => type === "chat" && chats.push((payload as { text: string }).text));
    const seen = { shots: 0, falls: 0, feed: [] as string[], views: [] as View[] };
    const loop = setInterval(() => {
      annSession.update(FRAME_MS, annControls);
      bobSession.update(FRAME_MS, bobControls);
      const view = eveSession.update(FRAME_MS, eveControls);
      seen.shots = Math.max(seen.shots, view.shots.length);
      seen.falls = Math.max(seen.falls, view.feedback.falls.length);
      seen.feed = view.feed;
      seen.views.push(view);
    }, FRAME_MS);
    try {
      await waitFor("Eve sees both players", () => seen.views.at(-1)?.players.length === 2, 5000);
      assert.equal(eve.spectating, true);
      const ids = [ann.sessionId!, bob.sessionId!].sort();
      assert.deepEqual([...ann.state!.players.keys()].sort(), ids, "Eve is not a player");

      // Bob walks right along an open row: Eve sees him move, never backwards, drawn behind the server's present by the adaptive delay.
      bob.testPlace(250, 150);
      await waitFor("Bob placed", () => ann.state?.players.get(bob.sessionId!)?.x === 250, 5000);
      const bobAt = () => seen.views.at(-1)!.players.find((p) => p.id === bob.sessionId)!;
      await waitFor("Eve sees Bob there", () => Math.abs(bobAt().x - 250) < 1, 5000);
      bobControls.moveX = 1;
      await waitFor("Eve sees Bob walk 150 px", () => bobAt().x > 400, 5000);
      bobControls.moveX = 0;
      const last = seen.views.at(-1)!;
      assert.equal(last.me, undefined);
      assert.ok(
        last.players.every((p) => !p.isMe),
        "nobody is Eve",
      );
      assert.equal(eveSession.stats.backwards, 0);
      assert.ok(eveSession.stats.remoteFrames > 0);
      assert.ok(eveSession.delay.delayMs >= MIN_DELAY_MS && eveSession.delay.delayMs <= MAX_DELAY_MS, `${eveSession.delay.delayMs} ms`);
      // Drawn behind the server's present (the SDK's own estimate of server time, remoteDelayMs, is no measure for a spectator:
      // with no input acknowledged it never gets a round trip, and keeps the offset of its first patch).
      const serverX = ann.state!.players.get(bob.sessionId!)!.x;
      assert.ok(bobAt().x <= serverX, `drawn at ${bobAt().x}, the server has ${serverX}`);
      // Interpolated, not snapped to patches: 15 frames (a quarter of a second, 5 patches) draw him at more places than the patches had him.
      const drawnXs = new Set(seen.views.slice(-15).map((v) => v.players.find((p) => p.id === bob.sessionId)?.x));
      assert.ok(
        drawnXs.size > 8,
        `${drawnXs.size} distinct positions over 15 frames: ${[...drawnXs].join(", ")} ${JSON.stringify({ eve: eveSession.stats, ann: annSession.stats, eveDelay: eveSession.delay.delayMs, annDelay: annSession.delay.delayMs })}`,
      );

      // Ann takes Bob out; Eve sees the shots, the kill in the feed and where he fell.
      // Frames still in flight can move a player just after a move: placed again until both stand there.
      for (let attempt = 1; ; attempt++) {
        ann.testPlace(300, 150);
        bob.testPlace(600, 150);
        try {
          await waitFor(
            "both placed, shields down",
            () => {
              const a = ann.state?.players.get(ann.sessionId!);
              const b = ann.state?.players.get(bob.sessionId!);
              return a?.x === 300 && b?.x === 600 && !a.shielded && !b.shielded;
            },
            3000,
          );
          break;
        } catch (error) {
          if (attempt === 4) throw error;
        }
      }
      annControls.fire = true;
      await waitFor("Eve sees Ann take Bob out", () => seen.feed.some((line) => line === "Ann took out Bob"), 10_000);
      annControls.fire = false;
      assert.ok(seen.shots > 0, "Eve saw shots");
      assert.ok(seen.falls > 0, "Eve saw where Bob fell");
      assert.ok(
        seen.views.every((v) => v.shots.every((s) => !s.mine) && v.feedback.hits.length === 0 && v.feedback.hurt === 0),
        "nothing is Eve's own",
      );

      // Chat from a spectator goes nowhere; the spectator is still connected after all its keys (a frame would have closed it with 4103).
      eve.sendChat("hello from the stands");
      ann.sendChat("hello from the floor");
      await waitFor("Ann's chat", () => chats.includes("hello from the floor"), 3000);
      assert.deepEqual(
        chats.filter((t) => t.includes("stands")),
        [],
      );
      assert.equal(eveSession.framesSent, 0);
      assert.equal(eve.status, "playing");
      assert.deepEqual(eve.stats, { drops: 0, rejoins: 0, watchdogTrips: 0 });
    } finally {
      clearInterval(loop);
      for (const s of sessions) s.dispose();
      await Promise.all([ann.leave(), bob.leave(), eve.leave()]);
    }
  });

  it("a spectator cut off by the server joins again by id, and is told when the match has ended", async () => {
    const ann = new ArenaConnection(server.endpoint, undefined);
    await ann.quickPlay("Ann");
    const roomId = ann.room!.roomId;
    const eve = new ArenaConnection(server.endpoint, undefined);
    const left: string[] = [];
    eve.on("left", (reason) => left.push(reason));
    await eve.watchRoom(roomId, "Eve");
    const firstSession = eve.sessionId;
    // The test hook has the server cut Eve's TCP connection: a drop, as a bad link gives.
    eve.testDrop();
    await waitFor("Eve back", () => eve.status === "playing" && eve.sessionId !== firstSession && eve.stats.rejoins === 1, 10_000);
    assert.equal(eve.room?.roomId, roomId);
    assert.equal(eve.spectating, true);
    assert.equal(ann.state!.players.size, 1, "still not a player");

    // The last player leaves, the room closes: Eve is told the match ended.
    await ann.leave();
    await waitFor("Eve told", () => left.length > 0, 15_000);
    assert.match(left[0], /The match is over: every player has left/, "closed with 4104, MATCH_OVER");
    assert.equal(eve.spectating, false);
  });

  it("a spectator of a private room comes back by its code after a drop (a private room cannot be joined by id)", async () => {
    const host = new ArenaConnection(server.endpoint, undefined);
    const code = await host.createPrivate("Host");
    const eve = new ArenaConnection(server.endpoint, undefined);
    try {
      await eve.watchByCode(code, "Eve");
      assert.equal(eve.room?.roomId, host.room?.roomId);
      const firstSession = eve.sessionId;
      eve.testDrop();
      await waitFor("Eve back", () => eve.status === "playing" && eve.sessionId !== firstSession && eve.stats.rejoins === 1, 10_000);
      assert.equal(eve.room?.roomId, host.room?.roomId);
      assert.deepEqual([...host.state!.players.keys()], [host.sessionId], "Eve is still not a player");
    } finally {
      await Promise.all([eve.leave(), host.leave()]);
    }
  });
});
