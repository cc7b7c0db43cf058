import { PICKUP_SPOTS, SPAWN_POINTS } from "../arena.ts";
import { INTERMISSION_S, MAX_HP, PICKUP_HEAL_HP, PICKUP_RADIUS_PX, PICKUP_RESPAWN_S, PLAYER_RADIUS_PX, SPAWN_PROTECTION_S } from "../constants.ts";
import { GAME_MODES, type GameMode } from "../modes.ts";
import { snapAngle16, snapPosition } from "./quantize.ts";
import { fireWeapon } from "./combat.ts";
import { moveBody } from "./movement.ts";
import { nextRandom, seedFrom } from "./rng.ts";
import type { InputFrame, PickupState, PlayerState, SeenBy, SeenPosition, SimEvent, WorldState } from "./types.ts";

/** A world whose pickup list can grow (ArraySchema and arrays both can). */
export type GrowableWorld<P extends PlayerState, K extends PickupState> = WorldState<P, K> & {
  pickups: Iterable<K> & { push(...items: K[]): number };
};

/** Sets up a fresh world for `mode`, with one pickup object per pickup spot. */
export function initWorld<P extends PlayerState, K extends PickupState>(world: GrowableWorld<P, K>, mode: GameMode, seed: number, newPickup: () => K): void {
  world.mode = mode;
  world.round = 1;
  world.phase = "playing";
  world.roundLengthS = GAME_MODES[mode].roundSeconds;
  world.phaseTimeS = world.roundLengthS;
  world.phaseSecondsLeft = Math.ceil(world.phaseTimeS);
  world.rngState = seedFrom(seed);
  for (const spot of PICKUP_SPOTS) {
    const pickup = newPickup();
    pickup.x = snapPosition(spot.x);
    pickup.y = snapPosition(spot.y);
    pickup.active = true;
    pickup.respawnS = 0;
    world.pickups.push(pickup);
  }
}

function random(world: WorldState): number {
  const [state, value] = nextRandom(world.rngState);
  world.rngState = state;
  return value;
}

/** Puts a player at the spawn point furthest from every other live player. */
function spawn(world: WorldState, id: string, player: PlayerState): void {
  let best: number[] = [];
  let bestDist2 = -1;
  SPAWN_POINTS.forEach((point, index) => {
    let nearest = Infinity;
    world.players.forEach((other, otherId) => {
      if (otherId === id || !other.alive) return;
      const dx = other.x - point.x;
      const dy = other.y - point.y;
      nearest = Math.min(nearest, dx * dx + dy * dy);
    });
    if (nearest > bestDist2) {
      bestDist2 = nearest;
      best = [index];
    } else if (nearest === bestDist2) {
      best.push(index);
    }
  });
  const point = SPAWN_POINTS[best[Math.floor(random(world) * best.length)]];
  player.x = snapPosition(point.x);
  player.y = snapPosition(point.y);
  player.hp = MAX_HP;
  player.alive = true;
  player.respawnS = 0;
  player.shielded = true;
  player.shieldS = SPAWN_PROTECTION_S;
  player.fireCooldownS = 0;
}

/** Adds a player (an object the caller made: schema or plain) and spawns it. */
export function joinPlayer<P extends PlayerState>(world: WorldState<P>, id: string, player: P, name: string): void {
  player.name = name;
  player.aim = 0;
  player.score = 0;
  player.connected = true;
  world.players.set(id, player);
  spawn(world, id, player);
}

export function leavePlayer(world: WorldState, id: string): void {
  world.players.delete(id);
}

/**
 * Applies one input frame: one step of the player's movement, its aim, and a
 * shot if the weapon is ready. `seenBy` gives where this player saw the
 * others when it sent the frame; it is asked only if the frame fires.
 */
export function applyInput(world: WorldState, id: string, frame: InputFrame, dt: number, seenBy: SeenBy, events: SimEvent[]): void {
  const player = world.players.get(id);
  if (player === undefined || !player.alive) return;
  moveBody(player, frame.moveX, frame.moveY, dt);
  const aim = snapAngle16(frame.aim);
  if (aim !== player.aim) player.aim = aim;
  if (player.fireCooldownS > 0) player.fireCooldownS = Math.max(0, player.fireCooldownS - dt);
  if (frame.fire && player.fireCooldownS === 0 && world.phase === "playing") {
    fireWeapon(world, id, player, frame.aim, seenBy(id), events);
  }
}

/** Advances everything that runs on world time: shields, respawns, pickups, rounds. */
export function advanceWorld(world: WorldState, dt: number, events: SimEvent[]): void {
  world.players.forEach((player, id) => {
    if (player.shielded) {
      player.shieldS -= dt;
      if (player.shieldS <= 0) {
        player.shieldS = 0;
        player.shielded = false;
      }
    }
    if (!player.alive && world.phase === "playing") {
      player.respawnS -= dt;
      if (player.respawnS <= 0) spawn(world, id, player);
    }
  });
  advancePickups(world, dt, events);
  advanceRound(world, dt, events);
}

function advancePickups(world: WorldState, dt: number, events: SimEvent[]): void {
  const reach = PLAYER_RADIUS_PX + PICKUP_RADIUS_PX;
  const reach2 = reach * reach;
  let index = 0;
  for (const pickup of world.pickups) {
    if (!pickup.active) {
      pickup.respawnS -= dt;
      if (pickup.respawnS <= 0) {
        pickup.respawnS = 0;
        pickup.active = true;
      }
    }
    world.players.forEach((player, id) => {
      if (!pickup.active || !player.alive || !player.connected || player.hp >= MAX_HP) return;
      const dx = player.x - pickup.x;
      const dy = player.y - pickup.y;
      if (dx * dx + dy * dy > reach2) return;
      player.hp = Math.min(MAX_HP, player.hp + PICKUP_HEAL_HP);
      pickup.active = false;
      pickup.respawnS = PICKUP_RESPAWN_S;
      events.push({ type: "pickup", player: id, index });
    });
    index++;
  }
}

function advanceRound(world: WorldState, dt: number, events: SimEvent[]): void {
  world.phaseTimeS -= dt;
  if (world.phaseTimeS <= 0) {
    if (world.phase === "playing") endRound(world, events);
    else startRound(world, events);
  }
  const secondsLeft = Math.max(0, Math.ceil(world.phaseTimeS));
  if (secondsLeft !== world.phaseSecondsLeft) world.phaseSecondsLeft = secondsLeft;
}

/** Players ranked by score; ties keep join order. */
export function scoreboard(world: WorldState): { id: string; name: string; score: number }[] {
  const lines: { id: string; name: string; score: number }[] = [];
  world.players.forEach((p, id) => lines.push({ id, name: p.name, score: p.score }));
  return lines.sort((a, b) => b.score - a.score);
}

function endRound(world: WorldState, events: SimEvent[]): void {
  world.phase = "intermission";
  world.phaseTimeS = INTERMISSION_S;
  events.push({ type: "round_end", round: world.round, scoreboard: scoreboard(world) });
}

function startRound(world: WorldState, events: SimEvent[]): void {
  world.round += 1;
  world.phase = "playing";
  world.phaseTimeS = world.roundLengthS;
  world.players.forEach((player) => {
    player.score = 0;
    player.alive = false;
  });
  world.players.forEach((player, id) => spawn(world, id, player));
  for (const pickup of world.pickups) {
    pickup.active = true;
    pickup.respawnS = 0;
  }
  events.push({ type: "round_start", round: world.round });
}

/**
 * One tick of the whole game, in the only order there is: first every
 * player's input frames for this tick (in join order, each frame one step),
 * then world time. The server room calls this from its fixed timestep; tests
 * and the benchmark call it on plain worlds.
 */
export function stepTick(world: WorldState, framesOf: (id: string) => Iterable<InputFrame>, dt: number, seenBy: SeenBy, events: SimEvent[]): void {
  const ids: string[] = [];
  world.players.forEach((_p, id) => ids.push(id));
  for (const id of ids) {
    for (const frame of framesOf(id)) applyInput(world, id, frame, dt, seenBy, events);
  }
  advanceWorld(world, dt, events);
}

/** Lag-free view: every target is where it is now. */
export const livePositions: SeenPosition = (_id, target) => target;
