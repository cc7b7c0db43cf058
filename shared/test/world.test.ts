import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FIRE_COOLDOWN_S,
  INTERMISSION_S,
  MAX_HP,
  PICKUP_HEAL_HP,
  PICKUP_RESPAWN_S,
  RESPAWN_DELAY_S,
  SPAWN_POINTS,
  SPAWN_PROTECTION_S,
  STEP_SECONDS,
  WEAPON_DAMAGE_HP,
  GAME_MODES,
  advanceWorld,
  applyInput,
  createPlainWorld,
  joinPlayer,
  livePositions,
  newPlainPlayer,
  stepTick,
  type InputFrame,
  type PlainWorld,
  type SimEvent,
} from "../src/index.ts";

const still: InputFrame = { moveX: 0, moveY: 0, aim: 0, fire: false };

/** Two players facing each other across open floor, shields off. */
function duel(): { world: PlainWorld; a: string; b: string } {
  const world = createPlainWorld("ffa", 7);
  joinPlayer(world, "a", newPlainPlayer(), "Ann");
  joinPlayer(world, "b", newPlainPlayer(), "Bob");
  const pa = world.players.get("a")!;
  const pb = world.players.get("b")!;
  Object.assign(pa, { x: 200, y: 400, shielded: false, shieldS: 0 });
  Object.assign(pb, { x: 500, y: 400, shielded: false, shieldS: 0 });
  return { world, a: "a", b: "b" };
}

function fireAt(world: PlainWorld, id: string, aim: number, events: SimEvent[] = []): SimEvent[] {
  applyInput(world, id, { ...still, aim, fire: true }, STEP_SECONDS, () => livePositions, events);
  return events;
}

/** Steps the shooter (standing still) until its weapon is ready again. */
function coolDown(world: PlainWorld, id: string): void {
  for (let i = 0; i < Math.ceil(FIRE_COOLDOWN_S / STEP_SECONDS); i++) {
    applyInput(world, id, still, STEP_SECONDS, () => livePositions, []);
  }
}

/** Advances world time until `done()`, returning how many ticks it took. */
function ticksUntil(world: PlainWorld, done: () => boolean, max: number): number {
  for (let tick = 1; tick <= max; tick++) {
    advanceWorld(world, STEP_SECONDS, []);
    if (done()) return tick;
  }
  assert.fail(`not done after ${max} ticks`);
}

/** Timers count seconds in float steps, so they may end one tick either side. */
function assertAbout(ticks: number, expected: number): void {
  assert.ok(Math.abs(ticks - expected) <= 1, `${ticks} ticks, expected about ${expected}`);
}

describe("combat", () => {
  it("a hitscan shot in line of sight hits and costs health", () => {
    const { world, a, b } = duel();
    const events = fireAt(world, a, 0);
    const shot = events.find((e) => e.type === "shot");
    assert.deepEqual(shot && { target: shot.target, shooter: shot.shooter }, { target: b, shooter: a });
    assert.equal(world.players.get(b)!.hp, MAX_HP - WEAPON_DAMAGE_HP);
  });

  it("a shot that misses reports its end point and does no damage", () => {
    const { world, b } = duel();
    const events = fireAt(world, "a", Math.PI / 2);
    const shot = events.find((e) => e.type === "shot");
    assert.equal(shot?.type === "shot" && shot.target, null);
    assert.equal(world.players.get(b)!.hp, MAX_HP);
  });

  it("walls stop shots", () => {
    const { world, b } = duel();
    Object.assign(world.players.get("a")!, { x: 700, y: 600 });
    Object.assign(world.players.get(b)!, { x: 900, y: 600 }); // the central pillar is between them
    const events = fireAt(world, "a", 0);
    const shot = events.find((e) => e.type === "shot");
    assert.ok(shot?.type === "shot" && shot.target === null && shot.x2 <= 760);
    assert.equal(world.players.get(b)!.hp, MAX_HP);
  });

  it("the weapon has a cooldown counted in the shooter's steps", () => {
    const { world, b } = duel();
    fireAt(world, "a", 0);
    fireAt(world, "a", 0);
    assert.equal(world.players.get(b)!.hp, MAX_HP - WEAPON_DAMAGE_HP);
    coolDown(world, "a");
    fireAt(world, "a", 0);
    assert.equal(world.players.get(b)!.hp, MAX_HP - 2 * WEAPON_DAMAGE_HP);
  });

  it("a kill scores, the victim respawns after the delay away from the killer, shielded", () => {
    const { world, a, b } = duel();
    const events: SimEvent[] = [];
    for (let i = 0; i < MAX_HP / WEAPON_DAMAGE_HP; i++) {
      fireAt(world, a, 0, events);
      coolDown(world, a);
    }
    const victim = world.players.get(b)!;
    assert.equal(victim.alive, false);
    assert.equal(victim.hp, 0);
    assert.equal(world.players.get(a)!.score, 1);
    assert.deepEqual(
      events.filter((e) => e.type === "kill"),
      [{ type: "kill", killer: a, victim: b }],
    );

    const before = { x: victim.x, y: victim.y };
    applyInput(world, b, { ...still, moveX: 1 }, STEP_SECONDS, () => livePositions, []);
    assert.deepEqual({ x: victim.x, y: victim.y }, before, "the dead do not move");

    const ticks = ticksUntil(world, () => victim.alive, 200);
    assertAbout(ticks, RESPAWN_DELAY_S / STEP_SECONDS);
    assert.equal(victim.hp, MAX_HP);
    assert.equal(victim.shielded, true);
    // The killer stands at (200, 400); the chosen spawn point is the furthest one.
    const killer = world.players.get(a)!;
    const dist = (p: { x: number; y: number }) => Math.hypot(p.x - killer.x, p.y - killer.y);
    const furthest = Math.max(...SPAWN_POINTS.map(dist));
    assert.equal(dist(victim), furthest);
  });

  it("spawn protection blocks damage until it runs out or the player fires", () => {
    const { world, a, b } = duel();
    const target = world.players.get(b)!;
    Object.assign(target, { shielded: true, shieldS: SPAWN_PROTECTION_S });
    fireAt(world, a, 0);
    assert.equal(target.hp, MAX_HP);
    fireAt(world, b, Math.PI);
    assert.equal(target.shielded, false, "firing drops the shield");
    coolDown(world, a);
    fireAt(world, a, 0);
    assert.equal(target.hp, MAX_HP - WEAPON_DAMAGE_HP);
  });

  it("a disconnected player is not damageable", () => {
    const { world, a, b } = duel();
    world.players.get(b)!.connected = false;
    fireAt(world, a, 0);
    assert.equal(world.players.get(b)!.hp, MAX_HP);
  });
});

describe("pickups", () => {
  it("heal a hurt player and come back on a timer", () => {
    const { world, a } = duel();
    const player = world.players.get(a)!;
    const pickup = world.pickups[0];
    Object.assign(player, { x: pickup.x, y: pickup.y, hp: 30 });
    const events: SimEvent[] = [];
    advanceWorld(world, STEP_SECONDS, events);
    assert.equal(player.hp, 30 + PICKUP_HEAL_HP);
    assert.equal(pickup.active, false);
    assert.deepEqual(events, [{ type: "pickup", player: a, index: 0 }]);
    player.hp = 10;
    const ticks = ticksUntil(world, () => player.hp > 10, 1000);
    assertAbout(ticks, PICKUP_RESPAWN_S / STEP_SECONDS);
    assert.equal(player.hp, 10 + PICKUP_HEAL_HP);
  });

  it("are left alone by a player at full health", () => {
    const { world, a } = duel();
    Object.assign(world.players.get(a)!, { x: world.pickups[1].x, y: world.pickups[1].y });
    advanceWorld(world, STEP_SECONDS, []);
    assert.equal(world.pickups[1].active, true);
  });
});

describe("rounds", () => {
  it("end with a ranked scoreboard, pause, then start over with scores reset", () => {
    const { world, a, b } = duel();
    world.players.get(b)!.score = 3;
    world.players.get(a)!.score = 1;
    const roundTicks = Math.round(GAME_MODES.ffa.roundSeconds / STEP_SECONDS);
    const events: SimEvent[] = [];
    const idle = () => [] as InputFrame[];
    for (let i = 0; i < roundTicks + 1; i++) stepTick(world, idle, STEP_SECONDS, () => livePositions, events);
    assert.equal(world.phase, "intermission");
    const end = events.find((e) => e.type === "round_end");
    assert.deepEqual(end, {
      type: "round_end",
      round: 1,
      scoreboard: [
        { id: b, name: "Bob", score: 3 },
        { id: a, name: "Ann", score: 1 },
      ],
    });
    assert.equal(world.phaseSecondsLeft, INTERMISSION_S);

    fireAt(world, a, 0);
    assert.equal(world.players.get(b)!.hp, MAX_HP, "no shooting between rounds");

    for (let i = 0; i < INTERMISSION_S / STEP_SECONDS + 1; i++) stepTick(world, idle, STEP_SECONDS, () => livePositions, events);
    assert.equal(world.phase, "playing");
    assert.equal(world.round, 2);
    assert.ok(events.some((e) => e.type === "round_start" && e.round === 2));
    world.players.forEach((p) => {
      assert.equal(p.score, 0);
      assert.equal(p.hp, MAX_HP);
      assert.equal(p.alive, true);
    });
    const [pa, pb] = [world.players.get(a)!, world.players.get(b)!];
    assert.notDeepEqual({ x: pa.x, y: pa.y }, { x: pb.x, y: pb.y }, "players respawn apart");
  });
});
