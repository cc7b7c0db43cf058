import { WALLS } from "../arena.ts";
import { FIRE_COOLDOWN_S, PLAYER_RADIUS_PX, RESPAWN_DELAY_S, WEAPON_DAMAGE_HP, WEAPON_RANGE_PX } from "../constants.ts";
import { rayCircleDistance, rayWallDistance } from "./geometry.ts";
import { cosSin } from "./trig.ts";
import type { PlayerState, SeenPosition, SimEvent, WorldState } from "./types.ts";

/** True when no wall stands between two points (bots use it to pick targets). */
export function hasLineOfSight(ax: number, ay: number, bx: number, by: number): boolean {
  const dx = bx - ax;
  const dy = by - ay;
  const length = Math.sqrt(dx * dx + dy * dy);
  if (length === 0) return true;
  for (const wall of WALLS) if (rayWallDistance(ax, ay, dx / length, dy / length, wall) < length) return false;
  return true;
}

/** A player that can take damage right now. */
export function isDamageable(player: PlayerState): boolean {
  return player.alive && player.connected && !player.shielded;
}

/**
 * Fires the shooter's hitscan weapon along `aim`. Walls stop the ray; the
 * first damageable player it crosses, at the position the shooter saw it
 * (`seen`, the lag-compensated view), takes the hit.
 */
export function fireWeapon(world: WorldState, shooterId: string, shooter: PlayerState, aim: number, seen: SeenPosition, events: SimEvent[]): void {
  const [dx, dy] = cosSin(aim);
  const ox = shooter.x;
  const oy = shooter.y;
  let reach = WEAPON_RANGE_PX;
  for (const wall of WALLS) {
    const t = rayWallDistance(ox, oy, dx, dy, wall);
    if (t < reach) reach = t;
  }
  const hit: { id: string | null; player: PlayerState | null } = { id: null, player: null };
  world.players.forEach((candidate, id) => {
    if (id === shooterId || !isDamageable(candidate)) return;
    const at = seen(id, candidate);
    const t = rayCircleDistance(ox, oy, dx, dy, at.x, at.y, PLAYER_RADIUS_PX);
    if (t < reach) {
      reach = t;
      hit.id = id;
      hit.player = candidate;
    }
  });
  shooter.fireCooldownS = FIRE_COOLDOWN_S;
  if (shooter.shielded) {
    shooter.shielded = false;
    shooter.shieldS = 0;
  }
  events.push({ type: "shot", shooter: shooterId, x1: ox, y1: oy, x2: ox + dx * reach, y2: oy + dy * reach, target: hit.id });
  if (hit.player !== null && hit.id !== null) damage(hit.player, hit.id, shooter, shooterId, events);
}

function damage(target: PlayerState, targetId: string, shooter: PlayerState, shooterId: string, events: SimEvent[]): void {
  const hp = target.hp - WEAPON_DAMAGE_HP;
  if (hp > 0) {
    target.hp = hp;
    return;
  }
  target.hp = 0;
  target.alive = false;
  target.respawnS = RESPAWN_DELAY_S;
  shooter.score += 1;
  events.push({ type: "kill", killer: shooterId, victim: targetId });
}
