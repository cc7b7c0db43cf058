import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  ReplayWriter,
  STEP_SECONDS,
  TICK_RATE_HZ,
  createPlainWorld,
  decodeReplay,
  joinPlayer,
  livePositions,
  newPlainPlayer,
  sanitizeInput,
  snapshotWorld,
  stepTick,
  type InputFrame,
  type Replay,
} from "@arena/shared";
import { ReplayPlayback } from "../../src/replay/ReplayPlayback.ts";

const MS_PER_TICK = 1000 / TICK_RATE_HZ;

/**
 * A recorded match of `ticks` steps: Ann and Bob face each other in the
 * open, Ann firing every frame (Bob falls at her fourth hit), Bob walking
 * towards her; a third player joins at tick 10.
 */
function recorded(ticks: number): Replay {
  const world = createPlainWorld("ffa", 3);
  joinPlayer(world, "ann", newPlainPlayer(), "Ann");
  joinPlayer(world, "bob", newPlainPlayer(), "Bob");
  // In the open, facing each other, without spawn protection: Ann's shots hit Bob from the first.
  Object.assign(world.players.get("ann")!, { x: 300, y: 300, shielded: false, shieldS: 0 });
  Object.assign(world.players.get("bob")!, { x: 520, y: 300, shielded: false, shieldS: 0 });
  const writer = new ReplayWriter({ roomId: "room1", mode: "ffa", tickRate: TICK_RATE_HZ, dt: STEP_SECONDS, start: snapshotWorld(world) });
  const frames: Record<string, InputFrame[]> = {
    ann: [sanitizeInput({ moveX: 0, moveY: 0, aim: 0, fire: true })],
    bob: [sanitizeInput({ moveX: -0.2, moveY: 0, aim: 3, fire: false })],
  };
  for (let tick = 0; tick < ticks; tick++) {
    if (tick === 10) {
      joinPlayer(world, "cy", newPlainPlayer(), "Cy");
      writer.join("cy", "Cy");
    }
    const tap = writer.beginStep(
      (id) => frames[id] ?? [],
      () => livePositions,
    );
    stepTick(world, tap.framesOf, STEP_SECONDS, tap.seenBy, []);
    writer.endStep();
  }
  return decodeReplay(writer.finish({ id: "abcdefghijklmnop", startedAt: 1000, endedAt: 1000 + ticks * MS_PER_TICK }));
}

describe("ReplayPlayback", () => {
  const replay = recorded(120);

  it("runs the replay's ticks at its tick rate while playing, twice as many at 2x, none while paused", () => {
    const playback = new ReplayPlayback(replay);
    assert.equal(playback.totalTicks, 120);
    playback.frame(200);
    assert.equal(playback.tick, 6);
    playback.pause();
    playback.frame(200);
    assert.equal(playback.tick, 6, "paused");
    playback.play();
    playback.setSpeed(2);
    playback.frame(100);
    assert.equal(playback.tick, 12);
  });

  it("counts frames' time exactly across any split of it, each frame at most 250 ms (a background tab comes back without a jump)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 250 }), { maxLength: 40 }), fc.constantFrom(1 as const, 2 as const), (frames, speed) => {
        const playback = new ReplayPlayback(replay);
        playback.setSpeed(speed);
        for (const ms of frames) playback.frame(ms);
        const total = frames.reduce((a, b) => a + b, 0);
        assert.equal(playback.tick, Math.min(120, Math.floor((total * speed * TICK_RATE_HZ) / 1000)));
      }),
    );
    const playback = new ReplayPlayback(replay);
    playback.frame(60_000);
    assert.equal(playback.tick, Math.floor(250 / MS_PER_TICK));
  });

  it("stops at the end; play then starts again from the beginning", () => {
    const playback = new ReplayPlayback(replay);
    for (let i = 0; i < 30; i++) playback.frame(250);
    assert.deepEqual([playback.tick, playback.playing], [120, false]);
    playback.play();
    assert.deepEqual([playback.tick, playback.playing], [0, true]);
  });

  it("seeks backwards and forwards to the world it would have played to", () => {
    const straight = new ReplayPlayback(replay);
    for (let i = 0; i < 20; i++) straight.frame(MS_PER_TICK * 2);
    const seeking = new ReplayPlayback(replay);
    seeking.seek(100);
    seeking.seek(3);
    seeking.seek(40);
    assert.equal(seeking.tick, 40);
    // The world alike; what was fading on screen (shots, falls, the feed) is cleared by a seek.
    const { players, pickups, hud, scoreboard } = seeking.frame(0);
    const played = straight.frame(0);
    assert.deepEqual(
      { players, pickups, hud, scoreboard },
      { players: played.players, pickups: played.pickups, hud: played.hud, scoreboard: played.scoreboard },
    );
  });

  it("draws the runner's world, with the shots of its events fading over 250 ms of replay time", () => {
    const playback = new ReplayPlayback(replay);
    const view = playback.frame(MS_PER_TICK * 2);
    assert.deepEqual(
      view.players.map((p) => [p.name, p.isMe]),
      [
        ["Ann", false],
        ["Bob", false],
      ],
    );
    assert.ok(Math.abs(view.players[1].x - (520 - 0.2 * 220 * STEP_SECONDS * 2)) < 0.1, "Bob walked two steps");
    assert.equal(view.shots.length, 1, "Ann fired on the first tick (then waits her cooldown)");
    assert.deepEqual([view.shots[0].x1, view.shots[0].y1, view.shots[0].hit], [300, 300, true]);
    playback.pause();
    assert.equal(playback.frame(1000).shots[0].age, playback.frame(0).shots[0].age, "paused: nothing fades");
    playback.play();
    playback.frame(260);
    assert.ok(playback.frame(0).shots.every((shot) => shot.age < 1));
    // Her fourth hit takes Bob out: the feed says so and a mark stays where he fell.
    playback.seek(0);
    for (let i = 0; i < 6; i++) playback.frame(250);
    const later = playback.frame(0);
    assert.deepEqual(later.feed, ["Ann took out Bob"]);
    assert.equal(later.feedback.falls.length, 1);
  });

  it("follows a player: drawn as the page's own; ] cycles through the players then nobody", () => {
    const playback = new ReplayPlayback(replay);
    playback.seek(20);
    assert.deepEqual(
      playback.players().map((p) => p.id),
      ["ann", "bob", "cy"],
    );
    const followed: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      playback.followNext(1);
      followed.push(playback.followedId);
    }
    assert.deepEqual(followed, ["ann", "bob", "cy", undefined, "ann"]);
    playback.followNext(-1);
    assert.equal(playback.followedId, undefined);
    playback.follow("bob");
    const view = playback.frame(0);
    assert.equal(view.me?.id, "bob");
    assert.deepEqual(
      view.players.filter((p) => p.isMe).map((p) => p.id),
      ["bob"],
    );
  });

  it("stops, with the reason, on a replay the step does not follow (never throws into the frame loop)", () => {
    // Bob recorded as hit, but dead in the world it starts from: the step asks about nobody the recording has.
    const players = replay.start.players.map(([id, p]): [string, typeof p] => [id, id === "bob" ? { ...p, alive: false } : p]);
    const broken: Replay = { ...replay, start: { ...replay.start, players } };
    const playback = new ReplayPlayback(broken);
    for (let i = 0; i < 10; i++) playback.frame(250);
    assert.match(playback.failure ?? "", /diverged/);
    assert.equal(playback.playing, false);
    playback.play();
    assert.equal(playback.playing, false, "it cannot play on");
  });
});
