import { INPUT_GROUP_FRAMES, INPUT_GROUP_MAX_FRAMES, encodeInputGroup } from "../inputGroup.ts";

/** What a group needs of the SDK's room: its connection (`room.connection`). */
export interface GroupedRoom {
  readonly connection: { readonly isOpen: boolean; send(data: Uint8Array): void };
}

/** What a group needs of the SDK's input handle (`room.input()`). */
export interface GroupedInputHandle {
  send(): number;
}

/**
 * Sends input frames `size` at a time, in one WebSocket message (an input
 * group, shared/src/inputGroup.ts), instead of one message per frame.
 *
 * The SDK's input handle still does all the per-frame work: it encodes the
 * frame, stamps it, numbers it, keeps it for replay and times it for the
 * round trip. `send()` calls the handle and takes the frame the handle would
 * have sent: `InputHandle.send` hands it synchronously to
 * `room.connection.send`, as a view into a buffer it reuses (SDK 0.18.4,
 * pinned by client/test/inputGroup.test.ts), so the group copies it. Once
 * `size` frames are held they go out together.
 *
 * One group per room: a new room (a rejoin) starts a new input numbering, so
 * frames held for the old one are dropped with it.
 */
export class InputGroup {
  readonly #held: Uint8Array[] = [];
  readonly #take = (data: Uint8Array): void => {
    this.#held.push(data.slice());
  };

  /** `size`: frames per group, 1 to INPUT_GROUP_MAX_FRAMES; 1 sends each frame alone, as the handle does. */
  constructor(
    private readonly room: GroupedRoom,
    private readonly input: GroupedInputHandle,
    readonly size = INPUT_GROUP_FRAMES,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > INPUT_GROUP_MAX_FRAMES)
      throw new RangeError(`an input group has 1 to ${INPUT_GROUP_MAX_FRAMES} frames, not ${size}`);
  }

  /** Frames taken and not yet sent. */
  get held(): number {
    return this.#held.length;
  }

  /**
   * One input frame (the handle's staged `data`), sent with the ones before
   * it once the group is full. Returns the handle's sequence number, 0 when
   * the connection is not open (nothing taken).
   */
  send(): number {
    if (this.size === 1) return this.input.send();
    const connection = this.room.connection;
    const own = Object.hasOwn(connection, "send");
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept only to be put back as it was (own property); never called detached
    const send = connection.send;
    connection.send = this.#take;
    let seq: number;
    try {
      seq = this.input.send();
    } finally {
      if (own) connection.send = send;
      else delete (connection as { send?: unknown }).send;
    }
    if (this.#held.length >= this.size) this.flush();
    return seq;
  }

  /** Sends what is held now (a part group if not full); a closed connection drops it. */
  flush(): void {
    if (this.#held.length === 0) return;
    const connection = this.room.connection;
    if (connection.isOpen) connection.send(encodeInputGroup(this.#held));
    this.#held.length = 0;
  }
}
