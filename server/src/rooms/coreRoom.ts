import type { Client, Deferred, IRoomCache, Room, RoomInternalState } from "@colyseus/core";
import type { InputFrame } from "@arena/shared";

/**
 * The private members of core's Room (core/src/Room.ts, @colyseus/core
 * 0.18.17) that match migration and the input-wait metric rely on, in one
 * place; each use is pinned by server/test/migration.test.ts,
 * migrationFaults.test.ts and metrics.test.ts. A seat
 * `[options, auth, consumed, waitingReconnection]` whose last flag is set can
 * be claimed only by a connection carrying a token that `_reconnections`
 * maps to its session id (`hasReservedSeat`, `checkReconnectionToken`,
 * `_onJoin`), and taking it runs `onReconnect`.
 */
export interface CoreRoom {
  _internalState: RoomInternalState;
  /** The room's listing row; core clears its `roomId` for a room that never went live (a duplicate of another process's). */
  _listing: IRoomCache;
  _reservedSeats: Record<string, [options: unknown, auth: unknown, consumed: boolean, waitingReconnection: boolean]>;
  _reconnections: Record<string, [sessionId: string, reconnection: Deferred<Client>]>;
  /** Core's room events; `join` is what counts a client in (matchMaker's onClientJoinRoom: the process's CCU, the lobby). */
  _events: { emit(event: "join", client: Client): void };
  /** Core's empty-room check after `seconds` (what core's own `allowReconnection` runs when a reconnection is rejected). */
  resetAutoDisposeTimeout(seconds?: number): void;
  /**
   * The room's input controller (core/src/input/RoomInput.ts), made by `defineInput`: its `capture` puts each
   * decoded input frame of `client` in the client's buffer (called for every frame, from `decodeReliable`).
   */
  _inputController?: { capture(client: Client, ...rest: unknown[]): void };
}

/** A room's core internals (see CoreRoom). */
export function coreOf(room: Room): CoreRoom {
  return room as unknown as CoreRoom;
}

/** Core's seat reservation (`_reserveSeat`, called in the room's process for every seat: matchmaking's `remoteRoomCall`, `allowReconnection`). */
type ReserveSeat = (
  sessionId: string,
  options?: unknown,
  auth?: unknown,
  seconds?: number,
  allowReconnection?: boolean,
  devModeReconnectionToken?: string,
) => Promise<boolean>;

/** A room's judgement of a new seat before core's: refused, or admitted with what undoes it if core then refuses. */
export type SeatAdmission = { admitted: boolean; undo?: () => void };

/**
 * Puts `admit` in front of core's seat reservations for new seats (a held
 * seat, `allowReconnection`'s, goes straight to core). Core's own check
 * (clients and reserved seats under `maxClients`) runs after an admitted
 * one. Pinned by server/test/spectators.test.ts.
 */
export function interceptSeatReservations(room: Room, admit: (sessionId: string, options: unknown) => SeatAdmission): void {
  const core = room as unknown as { _reserveSeat: ReserveSeat };
  const reserve: ReserveSeat = core._reserveSeat.bind(room);
  core._reserveSeat = async (sessionId, options, auth, seconds, allowReconnection = false, devModeReconnectionToken) => {
    if (allowReconnection) return reserve(sessionId, options, auth, seconds, allowReconnection, devModeReconnectionToken);
    const { admitted, undo } = admit(sessionId, options);
    if (!admitted) return false;
    let reserved = false;
    try {
      reserved = await reserve(sessionId, options, auth, seconds, allowReconnection, devModeReconnectionToken);
      return reserved;
    } finally {
      if (!reserved) undo?.();
    }
  };
}

/** A client's decode target (core's `client._input`, one per connection, made by RoomInput.allocate). */
type DecodeTarget = InputFrame & { clone(): InputFrame };

/** A copy of the decode target's fields, what the tick and the replay read of a buffered frame. */
function plainCopy(this: InputFrame): InputFrame {
  return { moveX: this.moveX, moveY: this.moveY, aim: this.aim, fire: this.fire };
}

/**
 * Makes core buffer this client's input frames as plain objects. Core's
 * `capture` pushes `client._input.clone()` into the buffer for every frame:
 * a schema instance, initialised with its change tracker, that nothing ever
 * encodes. The decode target gets an own `clone` instead, once per
 * connection (core makes a new target on a reconnection). The buffer's idle
 * frames stay core's own. Pinned by server/test/unit/plainFrames.test.ts.
 */
export function bufferPlainFrames(client: Client): void {
  const target = (client as unknown as { _input?: DecodeTarget })._input;
  if (target !== undefined && target.clone !== plainCopy) {
    Object.defineProperty(target, "clone", { value: plainCopy, enumerable: false, configurable: true, writable: true });
  }
}
