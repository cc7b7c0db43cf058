import { MAX_HP, WEAPON_RANGE_PX, hasLineOfSight } from "@arena/shared";

interface Point {
  x: number;
  y: number;
}
interface SeenPlayer extends Point {
  id: string;
  alive: boolean;
  connected: boolean;
}

/** What a bot does this tick: the same decisions whichever server it plays on. */
export interface Decision {
  moveX: number;
  moveY: number;
  aim: number;
  fire: boolean;
}

/**
 * A bot's mind, shared by the Colyseus bots and the Socket.IO baseline bots
 * so both systems get the same behaviour: wander and turn, go for a pickup
 * when hurt, aim at the nearest enemy in sight and fire when in range.
 */
export class BotBrain {
  heading: number;

  constructor(private readonly random: () => number) {
    this.heading = random() * Math.PI * 2;
  }

  decide(me: Point & { hp: number }, myId: string, players: Iterable<SeenPlayer>, pickups: Iterable<Point & { active: boolean }>): Decision {
    if (this.random() < 0.03) this.heading += (this.random() - 0.5) * Math.PI;
    if (me.x < 60 || me.x > 1540 || me.y < 60 || me.y > 1140) this.heading += Math.PI / 2;
    let moveX = Math.cos(this.heading);
    let moveY = Math.sin(this.heading);
    if (me.hp < MAX_HP / 2) {
      let best: Point | undefined;
      for (const k of pickups) if (k.active && (!best || dist(me, k) < dist(me, best))) best = k;
      if (best) {
        const d = dist(me, best) || 1;
        moveX = (best.x - me.x) / d;
        moveY = (best.y - me.y) / d;
      }
    }
    let target: Point | undefined;
    for (const p of players) {
      if (p.id === myId || !p.alive || !p.connected) continue;
      if ((!target || dist(me, p) < dist(me, target)) && hasLineOfSight(me.x, me.y, p.x, p.y)) target = p;
    }
    return {
      moveX: Math.fround(moveX),
      moveY: Math.fround(moveY),
      aim: Math.fround(target ? Math.atan2(target.y - me.y, target.x - me.x) : this.heading),
      fire: target !== undefined && dist(me, target) < WEAPON_RANGE_PX * 0.8,
    };
  }
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
