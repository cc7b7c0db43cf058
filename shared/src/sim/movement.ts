import { WALLS } from "../arena.ts";
import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX, PLAYER_RADIUS_PX, PLAYER_SPEED_PX_PER_S } from "../constants.ts";
import { pushOutOfWall, type Body } from "./geometry.ts";
import { snapPosition } from "./quantize.ts";

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

/**
 * One step of a player's movement: the stick (already sanitised, each axis in
 * [-1, 1]) sets the velocity, capped at the top speed, then the body is pushed
 * out of walls and kept inside the arena. This is the function the client's
 * predictor runs, so it uses only + - * / sqrt and round, which every engine
 * computes identically, and positions end on the wire's grid. Players do not collide with each other: another
 * player's position is never exact on the client, and it would break prediction.
 */
export function moveBody(body: Body, moveX: number, moveY: number, dt: number): void {
  let mx = moveX;
  let my = moveY;
  const len2 = mx * mx + my * my;
  if (len2 > 1) {
    const len = Math.sqrt(len2);
    mx /= len;
    my /= len;
  }
  // Work on a scratch copy: a schema body marks a field as changed on every
  // write, so it is written once, and only when the step really moved it.
  const step = PLAYER_SPEED_PX_PER_S * dt;
  // A body left touching a wall by the grid snap is freed first, outside the step.
  start.x = body.x;
  start.y = body.y;
  resolveWalls(start);
  scratch.x = start.x + mx * step;
  scratch.y = start.y + my * step;
  resolveWalls(scratch);
  // Pushing a circle out round a wall's corner can carry it up to ~3% further
  // than the step. Pull it back to the step length (the excess shrinks fast,
  // so three tries settle it), or stay put: the speed limit is never exceeded.
  for (let attempt = 0; ; attempt++) {
    const dx = scratch.x - start.x;
    const dy = scratch.y - start.y;
    const dist = Math.sqrt(dx * dx + dy * dy);
    if (dist <= step + STEP_SLACK_PX) break;
    if (attempt === 3) {
      scratch.x = start.x;
      scratch.y = start.y;
      break;
    }
    scratch.x = start.x + dx * (step / dist);
    scratch.y = start.y + dy * (step / dist);
    resolveWalls(scratch);
  }
  const x = snapPosition(clamp(scratch.x, PLAYER_RADIUS_PX, ARENA_WIDTH_PX - PLAYER_RADIUS_PX));
  const y = snapPosition(clamp(scratch.y, PLAYER_RADIUS_PX, ARENA_HEIGHT_PX - PLAYER_RADIUS_PX));
  if (x !== body.x) body.x = x;
  if (y !== body.y) body.y = y;
}

/**
 * The step's scratch bodies, shared by every call so a step allocates
 * nothing (it runs once per input frame on the server, and per frame drawn
 * on the client). Each call sets them before reading them: nothing carries
 * over from one call to the next.
 */
const start: Body = { x: 0, y: 0 };
const scratch: Body = { x: 0, y: 0 };

/** Rounding slack when comparing a step with its length (far below the 1/32 px grid). */
const STEP_SLACK_PX = 1e-9;

/** Pushes a circle out of every wall; two passes settle one wedged in a corner. */
function resolveWalls(body: Body): void {
  for (let pass = 0; pass < 2; pass++) {
    let moved = false;
    for (const wall of WALLS) moved = pushOutOfWall(body, PLAYER_RADIUS_PX, wall) || moved;
    if (!moved) return;
  }
}
