import { INPUT_GROUP_HEADER_BYTES, INPUT_GROUP_MAX_FRAMES, INPUT_GROUP_TYPE, ROOM_DATA_BYTES } from "@arena/shared";

/**
 * Input groups on the server (the format: shared/src/inputGroup.ts): the
 * policy that admits one, and the split that hands its frames to Colyseus
 * one by one, each as the opcode-19 frame it was when the client's input
 * handle wrote it.
 */

/** True when a frame starts as an input group does (its body not yet checked). */
export function isInputGroup(frame: Uint8Array): boolean {
  return frame.length >= INPUT_GROUP_HEADER_BYTES && frame[0] === ROOM_DATA_BYTES && frame[1] === INPUT_GROUP_TYPE;
}

/**
 * `[17][INPUT_GROUP_TYPE][count][length][frame]…`: count 1 to
 * INPUT_GROUP_MAX_FRAMES, each length at least 1 and within the group, each
 * frame one that `frame` accepts on its own (the lone input frame's policy,
 * stamp and body grammar included), nothing after the last. All or nothing:
 * a group with one bad frame is refused whole, so none of it reaches Colyseus.
 * The loop runs at most INPUT_GROUP_MAX_FRAMES times, whatever the bytes say.
 */
export function inputGroupPolicy(frame: (frame: Uint8Array) => boolean): (group: Uint8Array) => boolean {
  return (group) => {
    if (!isInputGroup(group)) return false;
    const count = group[2];
    if (count < 1 || count > INPUT_GROUP_MAX_FRAMES) return false;
    let at = INPUT_GROUP_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      if (at >= group.length) return false;
      const length = group[at++];
      if (length < 1 || at + length > group.length || !frame(group.subarray(at, at + length))) return false;
      at += length;
    }
    return at === group.length;
  };
}

/** Hands each frame of an admitted group to `deliver`, in order (a view into the group, no copy). */
export function forEachGroupedFrame(group: Buffer, deliver: (frame: Buffer) => void): void {
  const count = group[2];
  let at = INPUT_GROUP_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const length = group[at++];
    deliver(group.subarray(at, at + length));
    at += length;
  }
}
