import type { EventEmitter } from "node:events";
import { updateLobby, type Room } from "@colyseus/core";

/** The room-type events core's realtime listing answers with "this room changed" (RegisteredHandler.enableRealtimeListing). */
const CHANGES = ["create", "lock", "unlock", "join", "leave", "metadata-change"] as const;
/** Those it answers with "this room is gone from the list". */
const REMOVALS = ["visibility-change", "dispose"] as const;

/** A room type's event hub (core's RegisteredHandler), as far as the feed uses it. */
type Handler = Pick<EventEmitter, "on" | "removeAllListeners">;

/**
 * Colyseus's realtime listing with each room's changes sent to the lobbies
 * at most once per window. Core publishes a message on the lobby channel at
 * every change of a listed room (its creation, each join and leave, a lock,
 * its metadata), and every process hosting a lobby answers each one by
 * reading that room's listing from the driver: a burst filling a room of 8
 * made about 10 of each. A change only says "read this room again", so the
 * changes of a window make one message, sent when the window ends, about
 * the room as it is then (core's own `updateLobby`, which skips private and
 * unlisted rooms). A room leaving the list (closed, or made private) is
 * told at once, and a change of it still waiting is dropped, so no lobby
 * reads it again after its removal.
 */
export class LobbyFeed {
  readonly #waiting = new Set<Room>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly publish: (room: Room, removed?: boolean) => void = updateLobby,
  ) {}

  /**
   * Takes over `handler`'s realtime listing: call after `enableRealtimeListing()`
   * (which also makes core forward each room's visibility and metadata changes).
   */
  attach(handler: Handler): void {
    for (const event of [...CHANGES, ...REMOVALS]) handler.removeAllListeners(event);
    for (const event of CHANGES) {
      handler.on(event, (room: Room, _client?: unknown, willDispose?: boolean) => {
        // A leave that empties the room before its disposal: the disposal says it.
        if (event === "leave" && willDispose === true) return;
        this.#changed(room);
      });
    }
    // Core's `visibility-change` carries whether the room is now private.
    handler.on("visibility-change", (room: Room, isPrivate: boolean) => (isPrivate ? this.#removed(room) : this.#changed(room)));
    handler.on("dispose", (room: Room) => this.#removed(room));
  }

  #changed(room: Room): void {
    this.#waiting.add(room);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#flush(), this.windowMs);
    this.#timer.unref();
  }

  #removed(room: Room): void {
    this.#waiting.delete(room);
    this.publish(room, true);
  }

  #flush(): void {
    this.#timer = undefined;
    const rooms = [...this.#waiting];
    this.#waiting.clear();
    for (const room of rooms) {
      // On a timer, a throw would end the process: one room's update is lost
      // (its next change sends it again), the others' still go.
      try {
        this.publish(room);
      } catch {
        /* see above */
      }
    }
  }
}
