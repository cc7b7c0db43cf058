import { ARENA_HEIGHT_PX, ARENA_WIDTH_PX } from "./constants.ts";

/** An axis-aligned wall, px. */
export interface Wall {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * The fixed arena: a symmetric layout of cover blocks. Walls are at least
 * 32 px thick, well over one step of movement (7.3 px), so nothing tunnels.
 */
export const WALLS: readonly Wall[] = [
  { x: 360, y: 240, w: 240, h: 40 },
  { x: 1000, y: 240, w: 240, h: 40 },
  { x: 360, y: 920, w: 240, h: 40 },
  { x: 1000, y: 920, w: 240, h: 40 },
  { x: 760, y: 460, w: 80, h: 280 },
  { x: 200, y: 520, w: 40, h: 160 },
  { x: 1360, y: 520, w: 40, h: 160 },
  { x: 560, y: 560, w: 120, h: 80 },
  { x: 920, y: 560, w: 120, h: 80 },
];

/** Where players (re)spawn; the server picks the one furthest from enemies. */
export const SPAWN_POINTS: readonly Point[] = [
  { x: 96, y: 96 },
  { x: ARENA_WIDTH_PX - 96, y: 96 },
  { x: 96, y: ARENA_HEIGHT_PX - 96 },
  { x: ARENA_WIDTH_PX - 96, y: ARENA_HEIGHT_PX - 96 },
  { x: 800, y: 120 },
  { x: 800, y: ARENA_HEIGHT_PX - 120 },
  { x: 120, y: 600 },
  { x: ARENA_WIDTH_PX - 120, y: 600 },
];

/** Health pickup locations. */
export const PICKUP_SPOTS: readonly Point[] = [
  { x: 480, y: 600 },
  { x: 1120, y: 600 },
  { x: 800, y: 360 },
  { x: 800, y: 840 },
];
