import type { Wall } from "../arena.ts";

/** A mutable 2D position, px. Both schema players and plain objects fit. */
export interface Body {
  x: number;
  y: number;
}

/**
 * Pushes a circle out of an axis-aligned wall it overlaps. Returns true when
 * it moved the circle.
 */
export function pushOutOfWall(body: Body, radius: number, wall: Wall): boolean {
  const cx = body.x < wall.x ? wall.x : body.x > wall.x + wall.w ? wall.x + wall.w : body.x;
  const cy = body.y < wall.y ? wall.y : body.y > wall.y + wall.h ? wall.y + wall.h : body.y;
  const dx = body.x - cx;
  const dy = body.y - cy;
  const dist2 = dx * dx + dy * dy;
  if (dist2 >= radius * radius) return false;
  if (dist2 > 0) {
    const dist = Math.sqrt(dist2);
    body.x = cx + (dx / dist) * radius;
    body.y = cy + (dy / dist) * radius;
    return true;
  }
  // Centre inside the wall: leave by the nearest side.
  const left = body.x - wall.x;
  const right = wall.x + wall.w - body.x;
  const top = body.y - wall.y;
  const bottom = wall.y + wall.h - body.y;
  const least = Math.min(left, right, top, bottom);
  if (least === left) body.x = wall.x - radius;
  else if (least === right) body.x = wall.x + wall.w + radius;
  else if (least === top) body.y = wall.y - radius;
  else body.y = wall.y + wall.h + radius;
  return true;
}

/**
 * Distance along a ray (unit direction) to where it enters the wall, or
 * Infinity when it misses. A ray starting inside the wall hits at 0. The two
 * axes' slabs are written out, so a shot's wall tests allocate nothing.
 */
export function rayWallDistance(ox: number, oy: number, dx: number, dy: number, wall: Wall): number {
  let tMin = 0;
  let tMax = Infinity;
  if (dx === 0) {
    if (ox < wall.x || ox > wall.x + wall.w) return Infinity;
  } else {
    const t1 = (wall.x - ox) / dx;
    const t2 = (wall.x + wall.w - ox) / dx;
    const near = t1 > t2 ? t2 : t1;
    const far = t1 > t2 ? t1 : t2;
    if (near > tMin) tMin = near;
    if (far < tMax) tMax = far;
    if (tMin > tMax) return Infinity;
  }
  if (dy === 0) {
    if (oy < wall.y || oy > wall.y + wall.h) return Infinity;
  } else {
    const t1 = (wall.y - oy) / dy;
    const t2 = (wall.y + wall.h - oy) / dy;
    const near = t1 > t2 ? t2 : t1;
    const far = t1 > t2 ? t1 : t2;
    if (near > tMin) tMin = near;
    if (far < tMax) tMax = far;
    if (tMin > tMax) return Infinity;
  }
  return tMin;
}

/**
 * Distance along a ray (unit direction) to the first point of a circle, or
 * Infinity when it misses or the circle is behind the origin.
 */
export function rayCircleDistance(ox: number, oy: number, dx: number, dy: number, cx: number, cy: number, radius: number): number {
  const fx = cx - ox;
  const fy = cy - oy;
  const along = fx * dx + fy * dy;
  const perp2 = fx * fx + fy * fy - along * along;
  const r2 = radius * radius;
  if (perp2 > r2) return Infinity;
  const t = along - Math.sqrt(r2 - perp2);
  if (t >= 0) return t;
  // Origin inside the circle counts as a hit at 0; a circle wholly behind does not.
  return along + Math.sqrt(r2 - perp2) >= 0 ? 0 : Infinity;
}
