/** Deepest nesting of arrays, maps and records a message payload may have (the project's are two deep). */
const MAX_DEPTH = 16;
/** Most keys a record (msgpackr's object shape) may declare. */
const MAX_RECORD_KEYS = 32;
/** msgpackr's record extension (`useRecords`, on in the SDK's Packr): `[d4 72 id][keys array][values]`. */
const RECORD_EXT = 0x72;

/**
 * Whether `bytes[start..]` is exactly one msgpack value of the kinds a
 * client's `room.send(type, payload)` produces, found by scanning the bytes
 * without decoding them: nil, booleans, numbers, strings, binaries, arrays,
 * maps, `undefined` (`d4 00 00`) and msgpackr records (which the SDK uses for
 * every object). Every other extension is refused: msgpackr decodes them
 * into shared references, regular expressions, errors and typed arrays, and
 * a few hundred bytes of shared references cost exponential time to decode
 * (each level points twice at the one below). Counts and lengths are checked
 * against what is left before anything is skipped; never throws.
 */
export function isPlainMsgpack(bytes: Uint8Array, start: number): boolean {
  const end = bytes.length;
  // Key count of each record id (0x40-0x7f) defined so far in this value, -1 if none.
  const records = new Int8Array(64).fill(-1);
  // Values still to read at each open level; the outermost level holds the one value.
  const pending: number[] = [1];
  // Whether each open level is a map (its items alternate key, value).
  const maps: boolean[] = [false];
  let at = start;
  const length = (size: number): number => {
    if (at + size > end) return Infinity;
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + bytes[at + i];
    at += size;
    return n;
  };
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      pending.pop();
      maps.pop();
      continue;
    }
    // A map's item count starts even, so an even count left means a key comes next.
    const isKey = maps[top] && pending[top] % 2 === 0;
    pending[top]--;
    if (at >= end) return false;
    const b = bytes[at++];
    // msgpackr makes object keys of strings, numbers, booleans and nil only; anything else throws there.
    if (isKey && !isScalarKey(b, records)) return false;
    let skip = 0;
    let items = 0;
    if (b <= 0x3f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // fixint, nil, booleans
    } else if (b <= 0x7f) {
      // a record of a shape defined earlier (msgpackr reads its values), else a fixint
      items = Math.max(0, records[b & 0x3f]);
    } else if (b <= 0x8f) items = (b & 0x0f) * 2;
    else if (b <= 0x9f) items = b & 0x0f;
    else if (b <= 0xbf) skip = b & 0x1f;
    else if (b === 0xc4 || b === 0xd9) skip = length(1);
    else if (b === 0xc5 || b === 0xda) skip = length(2);
    else if (b === 0xc6 || b === 0xdb) skip = length(4);
    else if (b === 0xca) skip = 4;
    else if (b === 0xcb) skip = 8;
    else if (b >= 0xcc && b <= 0xd3) skip = 1 << (b & 0x03);
    else if (b === 0xdc) items = length(2);
    else if (b === 0xdd) items = length(4);
    else if (b === 0xde) items = length(2) * 2;
    else if (b === 0xdf) items = length(4) * 2;
    else if (b === 0xd4 && bytes[at] === 0x00 && bytes[at + 1] === 0x00)
      skip = 2; // undefined
    else if (b === 0xd4 && bytes[at] === RECORD_EXT) {
      at++;
      const keys = recordKeys();
      if (keys < 0) return false;
      items = keys;
    } else return false; // 0xc1 (never used) and every other extension
    if (skip > end - at || items > end - at) return false;
    at += skip;
    if (items > 0) {
      if (pending.length > MAX_DEPTH) return false;
      pending.push(items);
      maps.push((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf);
    }
  }
  return at === end;

  /** A record definition after `d4 72`: its id, then an array of short string keys. Returns the key count, or -1. */
  function recordKeys(): number {
    if (at >= end) return -1;
    const id = bytes[at++];
    if (id < 0x40 || id > 0x7f) return -1;
    const header = bytes[at++];
    let count: number;
    if (header >= 0x90 && header <= 0x9f) count = header & 0x0f;
    else if (header === 0xdc) count = length(2);
    else return -1;
    if (count > MAX_RECORD_KEYS) return -1;
    for (let i = 0; i < count; i++) {
      const key = bytes[at++];
      const size = key >= 0xa0 && key <= 0xbf ? key & 0x1f : key === 0xd9 ? length(1) : Infinity;
      if (size > end - at) return -1;
      at += size;
    }
    records[id & 0x3f] = count;
    return count;
  }
}

/** A leading byte msgpackr accepts as a map key: a string, a number, a boolean or nil (not a record). */
function isScalarKey(b: number, records: Int8Array): boolean {
  if (b <= 0x3f || b >= 0xe0) return true;
  if (b <= 0x7f) return records[b & 0x3f] < 0;
  return (b >= 0xa0 && b <= 0xc0) || b === 0xc2 || b === 0xc3 || (b >= 0xca && b <= 0xd3) || (b >= 0xd9 && b <= 0xdb);
}
