/** A jump between two snapshots longer than this is a teleport (respawn): no gliding across it. */
export const TELEPORT_DISTANCE_PX = 96;
/** Snapshots kept per entity: a second of patches at 20 Hz, and some. */
const CAPACITY = 32;

interface Snapshot {
  t: number;
  x: number;
  y: number;
}

/**
 * A remote player's recent server positions, keyed by server time, drawn
 * some delay (InterpolationDelay) behind the newest so there is always a pair to interpolate
 * between. Never extrapolates: past the newest snapshot it holds it.
 */
export class SnapshotBuffer {
  #snapshots: Snapshot[] = [];

  push(t: number, x: number, y: number): void {
    const last = this.#snapshots.at(-1);
    if (last !== undefined && t <= last.t) {
      // Same patch time (several fields of one patch): keep the newest value.
      if (t === last.t) {
        last.x = x;
        last.y = y;
      }
      return;
    }
    this.#snapshots.push({ t, x, y });
    if (this.#snapshots.length > CAPACITY) this.#snapshots.shift();
  }

  get newestTime(): number | undefined {
    return this.#snapshots.at(-1)?.t;
  }

  /**
   * The position at server time `t`, and the server time of what is drawn
   * (`t` within the snapshots held; the first or the newest outside them; the
   * start of a teleport across it).
   */
  sample(t: number): { x: number; y: number; t: number } | undefined {
    const s = this.#snapshots;
    if (s.length === 0) return undefined;
    if (t <= s[0].t) return { x: s[0].x, y: s[0].y, t: s[0].t };
    for (let i = s.length - 1; i > 0; i--) {
      const a = s[i - 1];
      const b = s[i];
      if (t < a.t) continue;
      if (t >= b.t) return { x: b.x, y: b.y, t: b.t };
      if (Math.hypot(b.x - a.x, b.y - a.y) > TELEPORT_DISTANCE_PX) return { x: a.x, y: a.y, t: a.t };
      const k = (t - a.t) / (b.t - a.t);
      return { x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k, t };
    }
    const newest = s[s.length - 1];
    return { x: newest.x, y: newest.y, t: newest.t };
  }
}
