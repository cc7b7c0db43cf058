/**
 * A msgpack value of `levels` levels, each pointing twice at the level below
 * through msgpackr's structured-clone ids (ext 0x69) and pointers (ext 0x70):
 * about 19 bytes a level, and 2^levels steps for anything that walks it as a
 * tree (msgpackr's error message, `new RegExp` over it). Found by review.
 */
export function sharedReferences(levels: number): number[] {
  const u32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const body = [0xd6, 0x69, ...u32(0), 0x90];
  for (let k = 1; k <= levels; k++) body.push(0xd6, 0x69, ...u32(k), 0x92, 0xd6, 0x70, ...u32(k - 1), 0xd6, 0x70, ...u32(k - 1));
  const count = levels + 1;
  return [0xdc, (count >> 8) & 0xff, count & 0xff, ...body];
}

/** The same inside msgpackr's RegExp extension (0x78): decoding succeeds, after 2^levels steps. */
export function regExpOverSharedReferences(levels: number): number[] {
  return [0xd4, 0x78, 0x00, ...sharedReferences(levels)];
}
