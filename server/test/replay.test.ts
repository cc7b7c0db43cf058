import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { PICKUP_SPOTS, ReplayRunner, decodeReplay, listReplayOps, snapshotWorld, type ListedOp, type SimEvent, type WorldSnapshot } from "@arena/shared";
import { type RunningServer, TestPlayer, waitFor } from "@arena/testkit";
import { startServer } from "./helpers/servers.ts";
import { scoreAndWound } from "./helpers/players.ts";
import { MemoryReplayStore } from "./helpers/replays.ts";

/** Rounds of 8 s (TEST_ROUND_SECONDS): a round change, and its 8 s intermission, within the test. */
const ROUND_SECONDS = 8;

let server: RunningServer;
const store = new MemoryReplayStore();
const players: TestPlayer[] = [];

async function join(name: string): Promise<TestPlayer> {
  const player = await TestPlayer.join(server.endpoint, name);
  players.push(player);
  return player;
}

/** Drops a player's TCP connection (test hook); the SDK reconnects with its token. */
async function dropAndRejoin(player: TestPlayer, watcher: TestPlayer): Promise<void> {
  let back = false;
  Object.assign(player.room.reconnection, { minUptime: 0, delay: 100, minDelay: 100 });
  player.room.onReconnect(() => {
    back = true;
  });
  player.room.send("__test:drop");
  await waitFor(`${player.id} shown dropped`, () => watcher.state.players.get(player.id)?.connected === false);
  await waitFor(`${player.id} back`, () => back, 10_000);
  await waitFor(`${player.id} shown connected`, () => watcher.state.players.get(player.id)?.connected === true);
}

/** A snapshot as it comes through JSON (as the server's does: JSON has no -0). */
function asJson(world: WorldSnapshot): unknown {
  return JSON.parse(JSON.stringify(world));
}

before(async () => {
  server = await startServer({ ENABLE_TEST_HOOKS: "1", TEST_ROUND_SECONDS: String(ROUND_SECONDS), LOG_LEVEL: "warn" }, { replays: store });
});
after(async () => {
  await Promise.all(players.map((p) => p.leave()));
  await server.stop();
});

describe("replays", () => {
  it("a replay is the match: run to the op count the server reported, its world is the server's, exactly", async () => {
    const ann = await join("Ann");
    const bob = await join("Bob");
    const cat = await join("Cat");
    const roomId = ann.room.roomId;
    assert.equal(cat.room.roomId, roomId);
    // Everyone sends a frame every tick; Cat wanders and turns (frames of every kind).
    for (const p of [ann, bob, cat]) p.play();
    let turn = 0;
    const wander = setInterval(() => {
      turn++;
      cat.controls.moveX = Math.sin(turn / 7);
      cat.controls.moveY = turn % 40 < 20 ? 1 : -1;
      cat.controls.aim = (turn * 0.37) % 6.2;
    }, 50);

    // Cat wanders far from the duel below (walls and arena edges keep it in its corner).
    cat.room.send("__test:place", { x: 1400, y: 1000 });
    await waitFor("Cat placed", () => Math.abs(ann.state.players.get(cat.id)!.x - 1400) < 100);
    // A kill with lag compensation (Bob wounds Ann, Ann kills Bob), placed by the test hook.
    await scoreAndWound(ann, bob);
    // Ann, hurt, on a pickup spot.
    assert.ok(ann.state.players.get(ann.id)!.hp < 100);
    ann.room.send("__test:place", PICKUP_SPOTS[0]);
    await waitFor("Ann picks up health", () => ann.eventsOf("pickup").some((e) => e.player === ann.id), 5000);
    // Drops and rejoins with the token.
    await dropAndRejoin(cat, ann);
    await dropAndRejoin(ann, bob);
    // The round changes.
    await waitFor("round 2", () => ann.state.round === 2 && ann.state.phase === "playing", (ROUND_SECONDS + 12) * 1000);
    // Someone leaves, someone joins, Cat fires while moving.
    await bob.leave();
    const dan = await join("Dan");
    dan.play();
    cat.controls.fire = true;
    await waitFor("Cat's shots", () => cat.eventsOf("shot").filter((s) => s.shooter === cat.id).length >= 3, 5000);

    // The server's world and the replay's op count, read in one turn.
    const state = await (await fetch(`${server.endpoint}/api/__test/state/${roomId}`)).json();
    assert.equal(typeof state.replay.id, "string");
    assert.ok(state.replay.ops > 0);
    clearInterval(wander);

    // The match ends: everyone leaves, the room is disposed, its replay saved.
    await Promise.all([ann, cat, dan].map((p) => p.leave()));
    const saved = await waitFor("the replay saved", () => store.replays.find((r) => r.meta.id === state.replay.id), 10_000);
    const replay = decodeReplay(gunzipSync(saved.gzipped));
    assert.deepEqual(replay.meta, omitBytes(saved.meta));
    assert.equal(saved.meta.bytes, saved.gzipped.length);
    assert.equal(saved.meta.roomId, roomId);
    assert.equal(saved.meta.mode, "ffa");
    assert.deepEqual(saved.meta.players, ["Ann", "Bob", "Cat", "Dan"]);
    assert.ok(saved.meta.endedAt > saved.meta.startedAt);

    // Replayed to the moment the state was read: the same world, every field of it.
    const runner = new ReplayRunner(replay);
    const events: SimEvent[] = [];
    runner.runOps(state.replay.ops, (event) => events.push(event));
    assert.equal(runner.ops, state.replay.ops);
    assert.deepStrictEqual(asJson(snapshotWorld(runner.world)), state.world);
    // ... which is also what the clients are sent (the schema's view of it).
    for (const [id, player] of runner.world.players) {
      const seen = state.players[id];
      for (const field of ["x", "y", "hp", "score", "alive", "connected", "aim"] as const) assert.equal(player[field], seen[field], `${id}.${field}`);
    }
    assert.equal(runner.world.round, state.round);
    assert.equal(runner.world.phase, state.phase);

    // Not vacuous: what the replay ran through.
    const { ops } = listReplayOps(replay);
    const upTo = ops.slice(0, state.replay.ops);
    const count = (kind: ListedOp["op"], test: (op: any) => boolean = () => true) => upTo.filter((op) => op.op === kind && test(op)).length;
    assert.ok(count("connected", (op) => !op.connected) >= 2, "drops");
    assert.ok(count("connected", (op) => op.connected) >= 2, "rejoins");
    assert.ok(count("place") >= 3, "placements");
    assert.ok(count("join") === 4 && count("leave") === 1, "joins and a leave");
    const seen = upTo.flatMap((op) => (op.op === "step" ? op.players.flatMap((p) => p.frames.flatMap((f) => f.seen ?? [])) : []));
    assert.ok(
      seen.some((s) => !s.live),
      "shots seen at rewound positions",
    );
    assert.ok(
      events.some((e) => e.type === "kill" && e.killer === ann.id && e.victim === bob.id),
      "Ann's kill",
    );
    assert.ok(
      events.some((e) => e.type === "pickup" && e.player === ann.id),
      "Ann's pickup",
    );
    assert.ok(events.some((e) => e.type === "round_end") && events.some((e) => e.type === "round_start" && e.round === 2), "the round change");

    // The whole replay: to its end (everyone gone), sane.
    runner.runTo(runner.totalTicks);
    assert.equal(runner.ops, replay.opCount);
    assert.equal(runner.tick, saved.meta.ticks);
    assert.equal(runner.world.players.size, 0);
    assert.ok(runner.world.round >= 2);
    assert.equal(runner.world.pickups.length, PICKUP_SPOTS.length);
    assert.ok(Number.isFinite(runner.world.phaseTimeS) && runner.world.phaseTimeS <= ROUND_SECONDS);
    // Seeking back lands on the same world as running forward did.
    runner.seek(0);
    runner.runOps(state.replay.ops);
    assert.deepStrictEqual(asJson(snapshotWorld(runner.world)), state.world);
  });

  it("the same replay with one seen record pointing at another player diverges, with a clear error", () => {
    const saved = store.replays.at(-1);
    assert.ok(saved !== undefined, "the match above saved its replay");
    const raw = gunzipSync(saved.gzipped);
    const { seenAt } = listReplayOps(decodeReplay(raw));
    // The first one-byte seen record whose handle's neighbour (0 <-> 1, 2 <-> 3) had joined by then, so the file still decodes.
    const altered = seenAt
      .filter((at) => raw[at] < 0x80)
      .map((at) => {
        const copy = raw.slice();
        copy[at] ^= 2;
        try {
          return decodeReplay(copy);
        } catch {
          return undefined;
        }
      })
      .find((replay) => replay !== undefined);
    assert.ok(altered !== undefined);
    assert.throws(
      () => new ReplayRunner(altered).runTo(altered.meta.ticks),
      /^ReplayFormatError: replay diverged at tick \d+: .*shot asked for .* the recording has/,
    );
  });
});

function omitBytes<T extends { bytes: number }>(meta: T): Omit<T, "bytes"> {
  const { bytes: _bytes, ...rest } = meta;
  return rest;
}
