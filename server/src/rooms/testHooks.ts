import type { Client, Room } from "@colyseus/core";
import { snapPosition, type ArenaState, type InputFrameSchema } from "@arena/shared";

/**
 * Test-only messages of a match (ENABLE_TEST_HOOKS, refused in production):
 * `__test:fault` (the next tick throws: `fault`), `__test:blast` (paced large
 * messages, to fill a non-reading client's buffers quickly), `__test:place`
 * (moves the sender's player), `__test:drop` (cuts the sender's TCP connection).
 */
export function registerTestHooks(room: Room<{ state: ArenaState; input: InputFrameSchema }>, fault: () => void): void {
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
    }
  });
  room.onMessage("__test:drop", (client: Client) => {
    (client as unknown as { ref: { terminate(): void } }).ref.terminate();
  });
}
