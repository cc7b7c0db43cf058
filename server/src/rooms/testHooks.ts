import type { Client, Room } from "@colyseus/core";
import { snapPosition, type ArenaState, type InputFrameSchema } from "@arena/shared";

/**
 * Test-only messages of a match (ENABLE_TEST_HOOKS, refused in production):
 * `__test:fault` (the next tick throws: `fault`), `__test:blast` (paced large
 * messages, to fill a non-reading client's buffers quickly), `__test:place`
 * (moves the sender's player), `__test:drop` (cuts the sender's TCP connection),
 * `__test:inputWaits` (answers with how long each of the sender's input frames
 * waited in the server's buffer since it last asked, ms: the network bench).
 * `placed` is told where `__test:place` put a player (a change to the world
 * outside the step: replays record it).
 */
export function registerTestHooks(
  room: Room<{ state: ArenaState; input: InputFrameSchema }>,
  fault: () => void,
  inputWaitsOf: (sessionId: string) => number[],
  placed: (sessionId: string, x: number, y: number) => void = () => {},
): void {
  room.onMessage("__test:inputWaits", (client: Client) => {
    client.send("__test:inputWaits", { waitsMs: inputWaitsOf(client.sessionId) });
  });
  room.onMessage("__test:fault", () => fault());
  room.onMessage("__test:blast", (client: Client, { bytes = 65536, count = 100, everyMs = 10 }: { bytes?: number; count?: number; everyMs?: number }) => {
    const payload = "x".repeat(Math.min(bytes, 1 << 20));
    let sent = 0;
    const timer = room.clock.setInterval(() => {
      if (++sent > Math.min(count, 10_000)) return timer.clear();
      client.send("blast", payload);
    }, everyMs);
  });
  room.onMessage("__test:place", (client: Client, at: { x?: unknown; y?: unknown }) => {
    const player = room.state.players.get(client.sessionId);
    if (player && typeof at?.x === "number" && typeof at?.y === "number") {
      player.x = snapPosition(at.x);
      player.y = snapPosition(at.y);
      placed(client.sessionId, player.x, player.y);
    }
  });
  room.onMessage("__test:drop", (client: Client) => {
    (client as unknown as { ref: { terminate(): void } }).ref.terminate();
  });
}

/** Waits kept per player between two `__test:inputWaits`: a minute of frames at 30 a second. */
const WAITS_KEPT = 1800;

/** Every input frame's wait, by player, until asked for (the `__test:inputWaits` hook). */
export class WaitLog {
  readonly #waits = new Map<string, number[]>();

  record(playerId: string, ms: number): void {
    let waits = this.#waits.get(playerId);
    if (waits === undefined) this.#waits.set(playerId, (waits = []));
    if (waits.length < WAITS_KEPT) waits.push(ms);
  }

  /** The waits since the last call, oldest first. */
  take(playerId: string): number[] {
    const waits = this.#waits.get(playerId) ?? [];
    this.#waits.delete(playerId);
    return waits;
  }
}
