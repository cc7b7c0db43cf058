import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { getMessageBytes } from "@colyseus/core";
import { encode } from "@colyseus/schema";
import { InputEncoder } from "@colyseus/schema/input";
import { Client, type Room } from "@colyseus/sdk";
import { INPUT_GROUP_MAX_FRAMES, INPUT_GROUP_TYPE, InputFrameSchema, PROTOCOL_VERSION } from "@arena/shared";
import { WebSocket } from "ws";
import { type ServerProcess, spawnServer, TestPlayer, waitFor } from "@arena/testkit";

/**
 * A structure-aware fuzzer over the whole Colyseus client→server wire
 * protocol (STYLE rule 16: whatever the framework parses is our input too).
 * Frames are built from the grammar of the decoders Colyseus runs on them:
 * every leading byte (base opcode in bits 0-4, modifier bits 5-7, TIMED =
 * 0x80), schema `decode.number` varints as lengths and counts, schema
 * operations for the input decoder, the unreliable ring and TIMED stamp
 * blocks, the project's input groups (ROOM_DATA_BYTES carrying input
 * frames), and msgpack for ROOM_DATA / ROOM_REQUEST / ROOM_DATA_BYTES, on
 * arena and lobby sockets joined with the real SDK.
 *
 * It asserts only the health of the server, never how a frame is refused
 * (close codes are protocolHardening.test.ts's business), so it runs as well
 * against a server without the guards. After every case (the frames, then a
 * PING whose pong says the server has read them all): the child process is
 * alive, answers /api/health within 1 s, an observer player's patches never
 * stopped for 300 ms (by the server's clock stamp on each patch), it wrote
 * at most 64 KB to stderr, and its memory after a full GC stays within 30 MB
 * of where it started.
 * The server runs as a child process so a frozen event loop or an exit is a
 * failed case, not a frozen test; after such a failure a fresh child is
 * started, so fast-check can shrink the case (for FUZZ_SHRINK_SECONDS).
 * FUZZ_SEED changes the seed; each property prints its own; FUZZ_TRACE=1
 * prints a line per case.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0009);
const MAX_GAP_MS = 300;
const MAX_RSS_GROWTH_MB = 30;
/**
 * What the server may write to stderr for one case. Output a client can
 * multiply (a decoder warning per bad byte) floods the logs, and with a slow
 * log reader it stalls the process; here the reader is fast, so the volume
 * itself is the symptom to check.
 */
const MAX_OUTPUT_BYTES = 64 * 1024;
/** How long a case may take to settle (every pong back, or the socket closed); past that the health check decides. */
const CASE_TIMEOUT_MS = 1000;
/** The frame limit of the transport (MAX_PAYLOAD_BYTES, 4 KB by default). */
const MAX_FRAME_BYTES = 4096;
/** Once a property has failed, shrinking stops after this long (each failing candidate costs a fresh server); FUZZ_SHRINK_SECONDS. */
const SHRINK_BUDGET_MS = Number(process.env.FUZZ_SHRINK_SECONDS ?? 8) * 1000;
/**
 * Each property stops taking new cases after its time budget (times
 * FUZZ_BUDGET_SCALE), so a slow or busy machine runs fewer cases instead of
 * running past a minute; on an idle 2-core machine every run fits.
 */
const BUDGET_SCALE = Number(process.env.FUZZ_BUDGET_SCALE ?? 1);
/** FUZZ_TRACE=1: a line per case. */
const TRACE = process.env.FUZZ_TRACE === "1";

// ---------------------------------------------------------------- bytes --

type Bytes = number[];

/** `size` bytes of an integer, little-endian (schema's encoding), two's complement. */
function le(value: number, size: number): Bytes {
  let v = BigInt.asUintN(size * 8, BigInt(Math.trunc(value)));
  const out: Bytes = [];
  for (let i = 0; i < size; i++, v >>= 8n) out.push(Number(v & 0xffn));
  return out;
}
/** Big-endian, as msgpack writes lengths. */
const be = (value: number, size: number): Bytes => le(value, size).reverse();
const f32 = (v: number): Bytes => [...new Uint8Array(new Float32Array([v]).buffer)];
const f64 = (v: number): Bytes => [...new Uint8Array(new Float64Array([v]).buffer)];

/** The schema encoder's own bytes for a number (what a sound client would send). */
function exactNumber(value: number): Bytes {
  const buf = new Uint8Array(9);
  const it = { offset: 0 };
  encode.number(buf, value, it);
  return [...buf.subarray(0, it.offset)];
}

/** Repeats `pattern` `times` times, at most `limit` bytes. */
function repeat(pattern: Bytes, times: number, limit: number): Bytes {
  const out: Bytes = [];
  for (let i = 0; i < times && out.length + pattern.length <= limit; i++) out.push(...pattern);
  return out.length > 0 ? out : pattern.slice(0, limit);
}

const byte = fc.integer({ min: 0, max: 255 });
const junk = (maxLength: number) => fc.array(byte, { maxLength });

// ------------------------------------------ schema's "number" (varint) --

const EXTREMES = [
  0,
  1,
  -1,
  2,
  -2,
  31,
  32,
  127,
  128,
  -32,
  -33,
  255,
  256,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  -(2 ** 53),
];
const INT_SIZE: Record<number, number> = { 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8 };
const interesting = fc.oneof(fc.constantFrom(...EXTREMES), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }));

/** Any `decode.number` input: each prefix of its grammar, extreme values, non-number and truncated prefixes. */
const varint: fc.Arbitrary<Bytes> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x7f }).map((v) => [v]) },
  { weight: 2, arbitrary: fc.integer({ min: 0xe0, max: 0xff }).map((v) => [v]) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3), interesting).map(([p, v]) => [p, ...le(v, INT_SIZE[p])]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.boolean(), fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -1, 2 ** 32 - 1, 1e300)))
      .map(([single, v]) => (single ? [0xca, ...f32(v)] : [0xcb, ...f64(v)])),
  },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0x80, max: 0xdf }), fc.integer({ min: 0, max: 3 })).map(([p, n]) => [p, ...Array<number>(n).fill(0xff)]) },
);
/** Counts that make a loop run long: the bounds of each integer width. */
const extremeCount = fc.constantFrom<Bytes>(
  [0xce, ...le(2 ** 32 - 1, 4)],
  [0xcf, ...le(2 ** 32 - 1, 8)],
  [0xd2, ...le(2 ** 31 - 1, 4)],
  [0xce, ...le(2 ** 24, 4)],
  [0xcd, 0xff, 0xff],
  [0xff],
  [0xd2, ...le(-(2 ** 31), 4)],
);

// ---------------------------------------- schema operations (InputFrame) --

/** Fields of InputFrameSchema: moveX, moveY, aim (float32), fire (boolean). */
const operation = fc.constantFrom(0x00, 0x80, 0x40, 0xc0); // REPLACE, ADD, DELETE, DELETE_AND_ADD
const knownField = fc
  .tuple(operation, fc.integer({ min: 0, max: 3 }), fc.oneof(fc.float(), fc.constantFrom(NaN, Infinity, 3.4e38)), byte, fc.boolean())
  .map(([op, index, f, b, truncated]) => {
    const value = index < 3 ? f32(f) : [b];
    return [op | index, ...(truncated ? value.slice(0, 1) : value)];
  });
const unknownField = fc.tuple(operation, fc.integer({ min: 4, max: 63 })).map(([op, index]) => [(op | index) & 0xff]);
const refId = fc.oneof({ weight: 3, arbitrary: fc.constant([0]) }, { weight: 1, arbitrary: varint });
/** One decoder segment: [SWITCH_TO_STRUCTURE refId] then operations. */
const segment = fc
  .tuple(
    fc.option(refId, { freq: 2 }),
    fc.array(
      fc.oneof(
        { weight: 3, arbitrary: knownField },
        { weight: 2, arbitrary: unknownField },
        { weight: 1, arbitrary: varint.map((n) => [213, ...n]) }, // TYPE_ID
        { weight: 1, arbitrary: byte.map((b) => [b]) },
      ),
      { maxLength: 6 },
    ),
  )
  .map(([ref, ops]) => [...(ref === null ? [] : [0xff, ...ref]), ...ops.flat()]);
/** The shortest segment: a switch and one operation (what a patch touching one field of many refs looks like). */
const shortSegment = fc.tuple(refId, fc.oneof(unknownField, knownField)).map(([ref, op]) => [0xff, ...ref, ...op]);
/** An input body: a few segments, or a pattern of segments repeated up to the frame limit (decoder work per byte adds up). */
const schemaBody = (limit: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.array(segment, { maxLength: 4 }).map((s) => s.flat().slice(0, limit)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.array(segment, { minLength: 1, maxLength: 2 }), fc.integer({ min: 2, max: 1500 }))
        .map(([s, times]) => repeat(s.flat(), times, limit)),
    },
    { weight: 1, arbitrary: fc.tuple(shortSegment, fc.integer({ min: 2, max: 1500 })).map(([s, times]) => repeat(s, times, limit)) },
  );

// ----------------------------------------------------- input frames --

const ROOM_INPUT_RELIABLE = 19;
const ROOM_INPUT_UNRELIABLE = 20;
const DATA = 13,
  BYTES = 17,
  REQUEST = 21;
const TIMED = 0x80;
const otherModifiers = fc.constantFrom(0, 0, 0, 0x20, 0x40, 0x60);

/** 19 / 0x93: [stamp Δ varint [uint16 renderDelta]] then the input's schema operations. */
const reliableBody = (timed: boolean) =>
  fc
    .tuple(varint, fc.option(fc.integer({ min: 0, max: 0xffff })), schemaBody(MAX_FRAME_BYTES - 12))
    .map(([delta, renderDelta, body]) => [...(timed ? [...delta, ...(renderDelta === null ? [] : le(renderDelta, 2))] : []), ...body]);

/** 20 / 0x94: [TIMED: k, uint32 newest, Δ×(k-1), [uint16, Δ×(k-1)]] then the ring [baseSeq]([len][body])*. */
const unreliableBody = (timed: boolean) =>
  fc
    .tuple(
      varint,
      fc.array(fc.tuple(schemaBody(48), fc.option(varint, { freq: 3 })), { maxLength: 5 }),
      fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: varint }, { weight: 1, arbitrary: extremeCount }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.array(varint, { maxLength: 6 }),
      fc.option(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.array(varint, { maxLength: 6 }))),
    )
    .map(([baseSeq, slots, k, newest, deltas, render]) => {
      const ring = [...baseSeq, ...slots.flatMap(([body, len]) => [...(len ?? exactNumber(body.length)), ...body])];
      if (!timed) return ring;
      const stamps = [...(k ?? exactNumber(slots.length)), ...le(newest, 4), ...deltas.flat()];
      if (render !== null) stamps.push(...le(render[0], 2), ...render[1].flat());
      return [...stamps, ...ring];
    });

const reliableFrame = (timed: boolean) =>
  fc.tuple(otherModifiers, reliableBody(timed)).map(([m, body]) => [ROOM_INPUT_RELIABLE | m | (timed ? TIMED : 0), ...body]);
const unreliableFrame = (timed: boolean) =>
  fc.tuple(otherModifiers, unreliableBody(timed)).map(([m, body]) => [ROOM_INPUT_UNRELIABLE | m | (timed ? TIMED : 0), ...body]);
const inputFrame = fc.oneof(reliableFrame(false), reliableFrame(true), unreliableFrame(false), unreliableFrame(true));

// ------------------------------------------------------ input groups (17) --

/** A reliable input frame as a sound client's input handle writes it: [19 | TIMED][stamp Δ][InputEncoder bytes]. */
const soundInput = fc
  .tuple(fc.option(fc.integer({ min: -1e6, max: 1e6 })), fc.float(), fc.float(), fc.float(), fc.boolean())
  .map(([stamp, moveX, moveY, aim, fire]) => {
    const encoder = new InputEncoder(new InputFrameSchema());
    Object.assign(encoder.instance, { moveX, moveY, aim, fire });
    const body = [...encoder.encode()];
    return stamp === null ? [ROOM_INPUT_RELIABLE, ...body] : [ROOM_INPUT_RELIABLE | TIMED, ...exactNumber(stamp), ...body];
  });
/** What a group may carry: sound frames mostly, then frames of the input grammars, then anything. */
const groupedFrame = fc.oneof(
  { weight: 4, arbitrary: soundInput },
  { weight: 2, arbitrary: fc.oneof(reliableFrame(false), reliableFrame(true)).map((f) => f.slice(0, 255)) },
  { weight: 1, arbitrary: fc.oneof(unreliableFrame(false), unreliableFrame(true)).map((f) => f.slice(0, 255)) },
  { weight: 1, arbitrary: junk(24) },
);
/**
 * An input group body after its opcode: [type][count]([length][frame])*,
 * whole, or with one lie: the type, the count, one frame's length, bytes
 * after the last frame, or more frames than a group may carry.
 */
const groupBody: fc.Arbitrary<Bytes> = fc
  .tuple(
    fc.array(groupedFrame, { minLength: 1, maxLength: INPUT_GROUP_MAX_FRAMES }),
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.record({ type: byte }) },
      { weight: 1, arbitrary: fc.record({ count: byte }) },
      { weight: 1, arbitrary: fc.record({ length: fc.tuple(fc.nat(), byte) }) },
      { weight: 1, arbitrary: fc.record({ trailing: fc.array(byte, { minLength: 1, maxLength: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ extra: fc.array(soundInput, { minLength: 1, maxLength: 4 }) }) },
    ),
  )
  .map(([frames, lie]) => {
    const all = lie !== null && "extra" in lie ? [...frames, ...lie.extra] : frames;
    const lengths = all.map((f) => f.length);
    if (lie !== null && "length" in lie) lengths[lie.length[0] % lengths.length] = lie.length[1];
    const type = lie !== null && "type" in lie ? lie.type : INPUT_GROUP_TYPE;
    const count = lie !== null && "count" in lie ? lie.count : all.length;
    const body = [type, count, ...all.flatMap((f, i) => [lengths[i], ...f])];
    return lie !== null && "trailing" in lie ? [...body, ...lie.trailing] : body;
  });
const inputGroup = groupBody.map((b) => [BYTES, ...b]);

// ----------------------------------------------------------- msgpack --

/** Values as Colyseus's own encoder writes them (core's msgpackr Packr). */
function packed(value: unknown): Bytes {
  try {
    return [...getMessageBytes.raw(13, "", value).subarray(2)]; // [13][fixstr ""] header stripped
  } catch {
    return [0xc0];
  }
}
const declared = (actual: number) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(actual) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 0x1f, 0xff, 0xffff, 2 ** 31, 2 ** 32 - 1) });
const width = fc.constantFrom(0, 1, 2, 4); // fix, 8-, 16-, 32-bit length
/** A msgpack header for `n` items (bytes of a str or bin, items of an array, pairs of a map), `n` possibly a lie. */
function header(kind: "str" | "bin" | "arr" | "map", w: number, n: number): Bytes {
  const [fix, mask, w8, w16, w32] = {
    str: [0xa0, 31, 0xd9, 0xda, 0xdb],
    bin: [-1, 0, 0xc4, 0xc5, 0xc6],
    arr: [0x90, 15, -1, 0xdc, 0xdd],
    map: [0x80, 15, -1, 0xde, 0xdf],
  }[kind];
  if (w === 0 && fix >= 0) return [fix | (n & mask)];
  if (w <= 1 && w8 >= 0) return [w8, ...be(n, 1)];
  return w <= 2 ? [w16, ...be(n, 2)] : [w32, ...be(n, 4)];
}
/** msgpackr's extension types (undefined, BigInt, Error, structured-clone id/pointer, record, Set, typed array, RegExp, bundle, Date), and any. */
const extType = fc.oneof(fc.constantFrom(0x00, 0x42, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78, 0x62, 0xff), byte);
const scalar: fc.Arbitrary<Bytes> = fc.oneof(
  fc.constantFrom<Bytes>([0xc0], [0xc2], [0xc3], [0xc1]),
  varint, // schema's number prefixes are msgpack's too (with the other byte order)
  fc.tuple(fc.boolean(), fc.double()).map(([single, v]) => (single ? [0xca, ...f32(v).reverse()] : [0xcb, ...f64(v).reverse()])),
);
const strOrBin = fc
  .tuple(
    fc.boolean(),
    width,
    fc.oneof(
      fc.string({ maxLength: 40 }).map((s) => [...Buffer.from(s)]),
      junk(40),
    ),
  )
  .chain(([str, w, content]) => declared(content.length).map((n) => [...header(str ? "str" : "bin", w, n), ...content]));
const ext = fc
  .tuple(fc.constantFrom(0, 1, 2, 4, 8, 16), extType, junk(24))
  .chain(([fixed, type, data]) =>
    fixed > 0
      ? fc.constant<Bytes>([0xd4 + Math.log2(fixed), type, ...data.slice(0, fixed), ...Array<number>(Math.max(0, fixed - data.length)).fill(0)])
      : fc.tuple(fc.constantFrom(1, 2, 4), declared(data.length)).map(([w, n]) => [w === 1 ? 0xc7 : w === 2 ? 0xc8 : 0xc9, ...be(n, w), type, ...data]),
  );
/** Nesting as deep as a frame allows: arrays, maps, Sets (ext 0x73) of one. */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom<Bytes>([0x91], [0x81, 0xa0], [0xd4, 0x73, 0x91]), scalar)
  .map(([depth, open, leaf]) => [...repeat(open, depth, 3600), ...leaf]);
/**
 * msgpackr's structured clone: values tagged with an id (ext 0x69) and
 * pointers back to them (ext 0x70), written as levels that each point
 * `fanout` times at a level below (the level just below, or any): a DAG,
 * which whatever walks it as a tree (a stringify, a join) walks 2^levels times.
 */
const sharedReferences = fc
  .tuple(fc.integer({ min: 1, max: 32 }), fc.constantFrom(2, 2, 1, 3), fc.boolean(), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }))
  .map(([levels, fanout, chain, picks]) => {
    const body = [0xd6, 0x69, ...be(0, 4), 0x90];
    for (let k = 1; k <= levels; k++) {
      body.push(0xd6, 0x69, ...be(k, 4), 0x90 | fanout);
      for (let j = 0; j < fanout; j++) body.push(0xd6, 0x70, ...be(chain ? k - 1 : picks[j % picks.length] % k, 4));
    }
    return [...header("arr", 2, levels + 1), ...body];
  });
/** Extensions whose decoder reads the next value and builds on it: RegExp (0x78), Error (0x65), Set (0x73), a structured-clone id (0x69). */
const extOfNext = fc.constantFrom<Bytes>([0xd4, 0x78, 0x00], [0xd4, 0x65, 0x00], [0xd4, 0x73, 0x00], [0xd6, 0x69, 0, 0, 0, 0]);
const { value: msgpack } = fc.letrec<{ value: Bytes }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    ...[
      scalar,
      fc.anything({ maxDepth: 2, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }).map(packed),
      strOrBin,
      ext,
      fc
        .tuple(width, fc.array(tie("value"), { maxLength: 4 }))
        .chain(([w, items]) => declared(items.length).map((n) => [...header("arr", w, n), ...items.flat()])),
      fc
        .tuple(width, fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }))
        .chain(([w, pairs]) => declared(pairs.length).map((n) => [...header("map", w, n), ...pairs.flat(2)])),
      deep,
    ].map((arbitrary) => ({ weight: 1, arbitrary })),
    // Weighted: where msgpackr's decoding does work that is not linear in the bytes.
    { weight: 2, arbitrary: sharedReferences },
    { weight: 2, arbitrary: fc.tuple(extOfNext, tie("value")).map(([ext, next]): Bytes => [...ext, ...next]) },
  ),
}));

// ------------------------------------------------ user messages (13, 17, 21) --

function schemaString(s: string): Bytes {
  const buf = new Uint8Array(4 * s.length + 8);
  const it = { offset: 0 };
  encode.string(buf, s, it);
  return [...buf.subarray(0, it.offset)];
}
const TYPES = [
  "chat",
  "telemetry",
  "filter",
  "*",
  "",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "__test:fault",
  "__test:blast",
  "_$bchat",
  "welcome",
  "error",
];
/** A message type as `decode.stringCheck` / `decode.string` / `decode.number` read it. */
const messageType: fc.Arbitrary<Bytes> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 20 })).map(schemaString) },
  { weight: 1, arbitrary: fc.tuple(width, junk(20)).chain(([w, content]) => declared(content.length).map((n) => [...header("str", w, n), ...content])) },
  { weight: 1, arbitrary: varint },
);

/** A message payload: none, one msgpack value, or one followed by bytes that belong to no value. */
const payload = fc.oneof(
  { weight: 1, arbitrary: fc.constant([] as Bytes) },
  { weight: 4, arbitrary: msgpack },
  { weight: 2, arbitrary: fc.tuple(msgpack, junk(3)).map(([value, rest]) => [...value, ...rest, 0xc1]) },
);
const dataBody = (body: fc.Arbitrary<Bytes>) => fc.tuple(messageType, body).map(([t, p]) => [...t, ...p]);
const requestBody = fc.tuple(varint, messageType, payload).map(([id, t, p]) => [...id, ...t, ...p]);

/** What LobbyRoom's `filter` handler is given: filter-shaped objects, and anything else. */
const filterPayload = fc.oneof(
  fc
    .record({ name: fc.oneof(fc.constant("arena"), fc.string()), metadata: fc.oneof(fc.jsonValue(), fc.constant(undefined)) }, { requiredKeys: [] })
    .map(packed),
  fc.jsonValue().map(packed),
  msgpack,
);
const filterFrame = filterPayload.map((p) => [DATA, ...schemaString("filter"), ...p]);

// ------------------------------------------------------------ frames --

/** A body from the grammar of whatever decoder the leading byte reaches (modifier bits are stripped before dispatch). */
function bodyFor(lead: number): fc.Arbitrary<Bytes> {
  const timed = (lead & TIMED) !== 0;
  switch (lead & 0x1f) {
    case DATA:
      return dataBody(payload);
    case BYTES:
      return fc.oneof(dataBody(junk(32)), groupBody);
    case REQUEST:
      return requestBody;
    case ROOM_INPUT_RELIABLE:
      return reliableBody(timed);
    case ROOM_INPUT_UNRELIABLE:
      return unreliableBody(timed);
    default:
      return fc.oneof(fc.constant([] as Bytes), junk(16), varint, msgpack);
  }
}
/** Every leading byte, and each base opcode with each combination of modifier bits. */
const MODIFIER_SETS = [0, 0x20, 0x40, 0x80, 0x60, 0xa0, 0xc0, 0xe0];
const lead = fc.oneof(
  byte,
  fc.tuple(fc.integer({ min: 0, max: 31 }), fc.constantFrom(...MODIFIER_SETS)).map(([code, m]) => code | m),
);
const anyFrame = lead.chain((b) => bodyFor(b).map((body) => [b, ...body]));
/** Now and then cut short, or padded past the transport's frame limit. */
const mutated = (frame: fc.Arbitrary<Bytes>) =>
  fc
    .tuple(
      frame,
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(null) },
        { weight: 2, arbitrary: fc.nat().map((n) => (f: Bytes) => f.slice(0, 1 + (n % f.length))) },
        { weight: 1, arbitrary: fc.constant((f: Bytes) => [...f, ...Array<number>(MAX_FRAME_BYTES + 1 - Math.min(f.length, MAX_FRAME_BYTES)).fill(0x00)]) },
      ),
    )
    .map(([f, change]) => (change === null ? f : change(f)));

// ------------------------------------------------------------- cases --

interface Case {
  /** Which part of the grammar it came from (for the summary). */
  kind: string;
  /** `spectator`: a spectator of the observer's match (`joinById` with `spectate`). */
  room: "arena" | "lobby" | "spectator";
  /** Lobby only: the raw JSON body of the matchmaking request (a fresh seat), else the SDK's joinOrCreate("lobby"). */
  joinBody?: string;
  frames: Uint8Array[];
}

const hex = (f: Uint8Array) => Buffer.from(f.subarray(0, 40)).toString("hex").replace(/(..)/g, "$1 ").trim() + (f.length > 40 ? ` … (${f.length} bytes)` : "");
function describeCase(c: Case): string {
  const runs: { frame: Uint8Array; times: number }[] = [];
  for (const frame of c.frames) {
    const last = runs.at(-1);
    if (last !== undefined && Buffer.from(last.frame).equals(frame)) last.times++;
    else runs.push({ frame, times: 1 });
  }
  const shown = runs.slice(0, 4).map(({ frame, times }) => `[${hex(frame)}]${times > 1 ? ` ×${times}` : ""}`);
  if (runs.length > 4) shown.push(`… ${c.frames.length} frames`);
  return `${c.kind} on ${c.room}${c.joinBody === undefined ? "" : ` joined with ${c.joinBody.slice(0, 60)}`}: ${shown.join(" ") || "no frames"}`;
}
function makeCase(kind: string, room: Case["room"], frames: Bytes[], joinBody?: string): Case {
  const c: Case = { kind, room, joinBody, frames: frames.map((f) => Uint8Array.from(f.slice(0, MAX_FRAME_BYTES + 64))) };
  return Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) });
}
const fewFrames = (frame: fc.Arbitrary<Bytes>) => fc.array(frame, { minLength: 1, maxLength: 3 });
const roomType = fc.constantFrom<Case["room"]>("arena", "arena", "lobby", "spectator");

const opcodeCases = fc
  .tuple(fc.constantFrom<Case["room"]>("arena", "arena", "spectator"), fewFrames(mutated(anyFrame)))
  .map(([r, f]) => makeCase("opcodes", r, f));
/** Run first: each of the 256 leading bytes alone, then with a body of its grammar. */
const everyLeadingByte = Array.from({ length: 256 }, (_, lead) =>
  makeCase("opcodes", "arena", [[lead], [lead, ...fc.sample(bodyFor(lead), { numRuns: 1, seed: lead })[0]]]),
);
/** Input cases: a few frames of one input grammar, each sent `burst` times in a row (decoder work adds up per frame). */
const inputCases = (kind: string, frame: fc.Arbitrary<Bytes>, maxBurst: number) =>
  fc
    .tuple(fc.constantFrom<Case["room"]>("arena", "arena", "arena", "spectator"), fewFrames(mutated(frame)), fc.integer({ min: 1, max: maxBurst }))
    .map(([r, f, burst]) =>
      makeCase(
        kind,
        r,
        f.flatMap((one) => Array<Bytes>(burst).fill(one)),
      ),
    );
const messageCases = fc
  .tuple(
    roomType,
    fewFrames(
      mutated(
        fc.oneof(
          { weight: 3, arbitrary: dataBody(payload).map((b) => [DATA, ...b]) },
          { weight: 1, arbitrary: dataBody(junk(32)).map((b) => [BYTES, ...b]) },
          { weight: 2, arbitrary: requestBody.map((b) => [REQUEST, ...b]) },
        ),
      ),
    ),
  )
  .map(([r, f]) => makeCase("messages", r, f));
const JOIN_BODIES = [
  '"abc"',
  "123",
  "true",
  "null",
  "[]",
  "[1]",
  '{"filter":"x"}',
  '{"filter":{"metadata":"ab"}}',
  '{"filter":{"name":"arena","metadata":{"mode":"ffa"}}}',
  "{}",
];
const lobbyCases = fc
  .tuple(
    fc.option(
      fc.oneof(
        fc.constantFrom(...JOIN_BODIES),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      ),
      { freq: 2 },
    ),
    fewFrames(fc.oneof({ weight: 3, arbitrary: filterFrame }, { weight: 1, arbitrary: mutated(anyFrame) })),
  )
  .map(([body, f]) => makeCase("lobby", "lobby", f, body ?? undefined));
const floodCases = fc
  .tuple(
    roomType,
    fc.oneof(
      fc.constant<Bytes>([18]),
      fc.constant<Bytes>([DATA, ...schemaString("chat"), ...packed({ text: "hi" })]),
      filterFrame,
      inputFrame,
      inputGroup,
      anyFrame,
    ),
    fc.integer({ min: 150, max: 2000 }),
  )
  .map(([r, frame, n]) => makeCase("floods", r, Array<Bytes>(n).fill(frame)));

// ----------------------------------------------------------- harness --

const ENV = {
  RATE_JOINS_PER_MINUTE: "100000",
  RATE_CONNECTIONS_PER_MINUTE: "100000",
  RATE_CREATES_PER_MINUTE: "100000",
  RATE_FAILED_JOINS_PER_HOUR: "100000",
  RATE_CODE_LOOKUPS_PER_MINUTE: "100000",
  MAX_SOCKETS_PER_ADDRESS: "100000",
  // A dropped fuzzing socket's seat is not held: rooms stay few, memory stays comparable.
  RECONNECT_GRACE_SECONDS: "0",
  // The inspector, on loopback and a free port, only to ask for a full GC before reading memory
  // (the child has no --expose-gc): with a thousand joins a run, garbage alone moves RSS by 30-80 MB.
  NODE_OPTIONS: [process.env.NODE_OPTIONS, "--inspect=127.0.0.1:0"].filter(Boolean).join(" "),
};
/** Resident memory of a process, MB (NaN once it is gone). */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
type SdkRoom = Room<any, any>;
type Listener = (ev: { data?: unknown }) => void;
interface WsLike {
  addEventListener(event: string, listener: Listener): void;
  removeEventListener(event: string, listener: Listener): void;
}

/** Full garbage collections in the child, over its inspector (DevTools protocol, HeapProfiler.collectGarbage). */
class ChildGc {
  #id = 0;
  private constructor(private readonly socket: WebSocket) {}

  static async connect(server: ServerProcess): Promise<ChildGc | undefined> {
    const url = await waitFor("the child's inspector", () => /Debugger listening on (ws:\/\/\S+)/.exec(server.output())?.[1], 5000).catch(() => undefined);
    if (url === undefined) return undefined;
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    socket.on("error", () => {});
    return new ChildGc(socket);
  }

  /** Resolves once the child has collected (a frozen child never answers: bounded by the caller). */
  collect(): Promise<void> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      const onMessage = (data: Buffer) => {
        if ((JSON.parse(String(data)) as { id?: number }).id !== id) return;
        this.socket.off("message", onMessage);
        resolve();
      };
      this.socket.on("message", onMessage);
      this.socket.send(JSON.stringify({ id, method: "HeapProfiler.collectGarbage" }));
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

/** The server under fuzz, in a child process, with an observer playing in an arena room. */
class Fuzzed {
  server!: ServerProcess;
  observer!: TestPlayer;
  patches = 0;
  lastPatchAt = 0;
  caseGapMs = 0;
  maxGapMs = 0;
  maxArrivalGapMs = 0;
  maxGapCase = "";
  private previousCase = "none";
  private caseOutputBytes = 0;
  private caseOutputSample = "";
  /** When the child last wrote to stderr: its writes there can outlast the case that caused them. */
  private lastOutputAt = 0;
  rssStartMb = 0;
  rssMaxMb = 0;
  restarts = 0;
  decoderWarnings = 0;
  unsettled = 0;
  readonly closeCodes = new Map<number, number>();
  readonly cases = new Map<string, number>();
  readonly frameClasses = new Map<string, number>();
  readonly leadingBytes = new Set<number>();
  /** Why the child must be replaced before the next case. */
  private broken: string | undefined = "not started";
  private gc: ChildGc | undefined;
  private arena: SdkRoom | undefined;
  private lobby: SdkRoom | undefined;
  private spectator: SdkRoom | undefined;

  async ready(): Promise<void> {
    if (this.broken === undefined) return;
    if (this.server !== undefined) {
      this.restarts++;
      this.gc?.close();
      await this.server.stop(); // SIGKILL: a frozen child would never answer a leave
      await within(1000, "the observer's leave", this.observer.leave()).catch(() => {});
    }
    this.arena = this.lobby = this.spectator = undefined;
    const server = (this.server = await spawnServer(ENV));
    server.child.stderr!.on("data", (chunk: Buffer) => {
      if (this.server !== server) return; // the last words of a replaced child
      const text = String(chunk).replace(/^(Debugger (listening|attached|ending)|For help, see).*\n?/gm, ""); // the inspector's own
      if (text === "") return;
      this.lastOutputAt = performance.now();
      this.caseOutputBytes += text.length;
      if (this.caseOutputSample.length < 200) this.caseOutputSample += text.slice(0, 200).replace(/\s+/g, " ");
      this.decoderWarnings += text.split("@colyseus/schema").length - 1;
    });
    this.gc = await ChildGc.connect(this.server);
    this.observer = await within(5000, "the observer's join", TestPlayer.join(this.server.endpoint, "Observer"));
    this.observer.room.reconnection.enabled = false;
    this.observer.play();
    this.lastPatchAt = performance.now();
    let lastStamp = 0;
    this.observer.room.onStateChange(() => {
      // Gaps by the server's own clock stamp on each patch (the TIMED prefix): this process
      // stalls too (it builds the cases), and that must not count against the server.
      const now = performance.now();
      const stamp = this.observer.room.clock.lastServerTime();
      const gap = stamp > 0 && lastStamp > 0 ? stamp - lastStamp : now - this.lastPatchAt;
      this.caseGapMs = Math.max(this.caseGapMs, gap);
      this.maxArrivalGapMs = Math.max(this.maxArrivalGapMs, now - this.lastPatchAt);
      this.patches++;
      lastStamp = stamp;
      this.lastPatchAt = now;
    });
    // Both room types exist and have run their message and refusal paths once (a cold path can
    // stall for 200 ms), then the memory baseline; the gap is counted from a fresh patch.
    const harmless = (type: string, payload: unknown) => Uint8Array.from([DATA, ...schemaString(type), ...packed(payload)]);
    for (const [r, frames] of [
      ["arena", [harmless("warm-up", {}), Uint8Array.of(31)]],
      ["arena", [Uint8Array.of(31)]],
      ["lobby", [harmless("filter", {})]],
      ["spectator", [harmless("telemetry", {})]],
    ] as const) {
      await this.send(await this.socket(makeCase("warm-up", r, [])), [...frames], false);
    }
    this.rssStartMb = this.rssMaxMb = await this.settledRss();
    const patches = this.patches;
    await waitFor("a patch after the warm-up", () => this.patches > patches, 2000);
    this.caseGapMs = this.caseOutputBytes = 0;
    this.broken = undefined;
  }

  /** The child's RSS after a full GC (after a short settle, where the inspector is not there). */
  async settledRss(): Promise<number> {
    if (this.gc === undefined) await sleep(1000);
    else await within(2000, "a full GC in the child", this.gc.collect()).catch(() => {});
    return rssMb(this.server.child.pid!);
  }

  /** A joined socket for the case: the open one of that room type, or a new one. */
  async socket(c: Case): Promise<SdkRoom | undefined> {
    const client = new Client(this.server.endpoint);
    if (c.room === "lobby" && c.joinBody !== undefined) {
      const res = await fetch(`${this.server.endpoint}/matchmake/joinOrCreate/lobby`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: c.joinBody,
        signal: AbortSignal.timeout(CASE_TIMEOUT_MS),
      });
      const seat = await res.json().catch(() => undefined);
      if (!res.ok || typeof seat?.sessionId !== "string") return undefined; // refused by matchmaking: nothing to send on
      return this.watch(await within(2000, "joining the lobby", client.consumeSeatReservation(seat)));
    }
    const open = { arena: this.arena, lobby: this.lobby, spectator: this.spectator }[c.room];
    if (open?.connection.isOpen) return open;
    const joining = {
      arena: () => client.joinOrCreate("arena", { name: "Fuzz", protocol: PROTOCOL_VERSION }),
      lobby: () => client.joinOrCreate("lobby"),
      spectator: () => client.joinById(this.observer.room.roomId, { name: "Fuzz", protocol: PROTOCOL_VERSION, spectate: true }),
    }[c.room];
    const joined = this.watch(await within(2000, `joining ${c.room}`, joining()));
    if (c.room === "arena") this.arena = joined;
    else if (c.room === "lobby") this.lobby = joined;
    else this.spectator = joined;
    return joined;
  }

  private watch(room: SdkRoom): SdkRoom {
    room.reconnection.enabled = false;
    room.onMessage("*", () => {});
    room.onError(() => {});
    room.onLeave((code) => this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1));
    return room;
  }

  /**
   * Sends the frames, then a PING, and waits for every pong asked for (each
   * frame whose base opcode is PING gets one) or for the socket to close:
   * then the server has read every frame of the case.
   */
  async send(room: SdkRoom | undefined, frames: Uint8Array[], counted = true): Promise<void> {
    if (room === undefined) return;
    const ws = (room.connection.transport as unknown as { ws: WsLike }).ws;
    let pongs = 0;
    let closed = false;
    const onMessage: Listener = (ev) => {
      if (new Uint8Array(ev.data as ArrayBuffer, 0, 1)[0] === 18) pongs++;
    };
    const onClose = () => {
      closed = true;
    };
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", onClose);
    let expected = 0;
    const barrier = Uint8Array.of(18);
    for (const frame of [...frames, barrier]) {
      if (!room.connection.isOpen) break;
      room.connection.send(frame);
      if ((frame[0] & 0x1f) === 18) expected++;
      if (!counted || frame === barrier) continue;
      this.frameClasses.set(frameClass(frame), (this.frameClasses.get(frameClass(frame)) ?? 0) + 1);
      this.leadingBytes.add(frame[0]);
    }
    const deadline = performance.now() + CASE_TIMEOUT_MS;
    while (!closed && pongs < expected && room.connection.isOpen && performance.now() < deadline) await sleep(2);
    if (!closed && pongs < expected && room.connection.isOpen) this.unsettled++;
    ws.removeEventListener("message", onMessage);
    ws.removeEventListener("close", onClose);
  }

  /** Server-level health after a case; throws (and marks the child for replacement) if not. */
  async check(c: Case): Promise<void> {
    const { child, endpoint } = this.server;
    const fail = (what: string, replace = true): never => {
      if (replace) this.broken = what;
      throw new Error(`${what} (child RSS ${rssMb(child.pid!).toFixed(0)} MB, ${this.rssStartMb.toFixed(0)} MB at the start) after ${describeCase(c)}`);
    };
    const exited = () => {
      // A process exiting with the inspector attached may linger: its fatal log line says it is dying.
      const fatal = this.server.logs.find((l) => Number(l.level) >= 60) as { msg?: string; err?: { message?: string } } | undefined;
      if (child.exitCode === null && child.signalCode === null && fatal === undefined) return;
      const why =
        fatal !== undefined
          ? `${fatal.msg}: ${fatal.err?.message}`
          : this.server
              .output()
              .split("\n")
              .filter((l) => /Error|fatal/i.test(l))
              .slice(0, 2)
              .join(" | ");
      fail(`the server ${fatal !== undefined ? "died" : `exited (${child.exitCode ?? child.signalCode})`}: ${why.slice(0, 300)}`);
    };
    exited();
    // Whatever a spectator sent, it never became a player.
    const watcher = this.spectator?.sessionId;
    if (watcher !== undefined && this.observer.state.players.has(watcher)) fail(`the spectator ${watcher} is a player in the observer's match`, false);
    const quietBy = performance.now() + 3000;
    while (performance.now() - this.lastOutputAt < 100 && performance.now() < quietBy) await sleep(10);
    const [printed, sample] = [this.caseOutputBytes, this.caseOutputSample];
    [this.caseOutputBytes, this.caseOutputSample] = [0, ""];
    const status = await fetch(`${endpoint}/api/health`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 200) {
      await Promise.race([this.server.exited, sleep(500)]);
      exited();
      fail(status === 0 ? "/api/health did not answer within 1 s" : `/api/health answered ${status}`);
    }
    let open = 0;
    if (performance.now() - this.lastPatchAt > 100) {
      // Late: wait for the next patch, whose stamp says whether the server stalled.
      const patches = this.patches;
      const came = await waitFor("the observer's next patch", () => this.patches > patches, 1000).then(
        () => true,
        () => false,
      );
      if (!came) open = performance.now() - this.lastPatchAt;
    }
    const gap = Math.max(this.caseGapMs, open);
    if (TRACE)
      console.log(
        `# ${seconds()} s: gap ${gap.toFixed(0)} ms, warnings ${this.decoderWarnings}, RSS ${rssMb(child.pid!).toFixed(0)} MB after ${describeCase(c).slice(0, 120)}`,
      );
    if (gap > this.maxGapMs) [this.maxGapMs, this.maxGapCase] = [gap, describeCase(c).slice(0, 160)];
    this.caseGapMs = 0;
    // A stall can also be the GC of garbage an earlier case left (decoder warnings are big): name that case too.
    if (gap >= MAX_GAP_MS) fail(`the observer's patches stopped for ${gap.toFixed(0)} ms (the case before: ${this.previousCase.slice(0, 200)})`, false);
    if (printed > MAX_OUTPUT_BYTES) fail(`the server wrote ${(printed / 1024).toFixed(0)} KB to stderr for one case ("${sample.slice(0, 120)}…")`, false);
    const rss = rssMb(child.pid!);
    this.rssMaxMb = Math.max(this.rssMaxMb, rss);
    if (rss - this.rssStartMb <= MAX_RSS_GROWTH_MB) return;
    const settled = await this.settledRss(); // most of a high reading is garbage
    if (settled - this.rssStartMb > MAX_RSS_GROWTH_MB) fail(`the server's memory grew by ${(settled - this.rssStartMb).toFixed(0)} MB, after a full GC`);
  }

  async run(c: Case): Promise<void> {
    await this.ready();
    const kind = c.room === "spectator" ? `${c.kind} as a spectator` : c.kind;
    this.cases.set(kind, (this.cases.get(kind) ?? 0) + 1);
    let room: SdkRoom | undefined;
    try {
      room = await this.socket(c);
    } catch {
      // The join itself failed: the health check says whether the server did.
    }
    await this.send(room, c.frames);
    if (c.joinBody !== undefined) void room?.leave().catch(() => {});
    try {
      await this.check(c);
    } finally {
      this.previousCase = describeCase(c);
    }
  }

  async stop(): Promise<void> {
    this.gc?.close();
    await within(1000, "the observer's leave", this.observer.leave()).catch(() => {});
    await this.server.stop();
  }
}

function frameClass(frame: Uint8Array): string {
  const code = frame[0] & 0x1f;
  const timed = frame[0] & TIMED ? "|TIMED" : "";
  const names: Record<number, string> = {
    10: "JOIN",
    12: "LEAVE",
    13: "DATA",
    17: "DATA_BYTES",
    18: "PING",
    19: "INPUT",
    20: "INPUT_UNRELIABLE",
    21: "REQUEST",
  };
  if (names[code] === undefined) return "other opcodes";
  if (frame[0] === BYTES && frame[1] === INPUT_GROUP_TYPE) return "INPUT_GROUP";
  return frame[0] >> 5 === 0 || (timed && (frame[0] & 0x60) === 0) ? `${names[code]}${timed}` : `${names[code]}+modifiers`;
}

// -------------------------------------------------------- properties --

const fuzzed = new Fuzzed();
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);

/**
 * One property over a family of cases, seeded. The first failure is printed
 * when it happens, with the time since the file started; shrinking then
 * runs against a fresh child each time a candidate fails, for at most
 * SHRINK_BUDGET_MS (after that, candidates are passed over unrun).
 */
async function fuzz(cases: fc.Arbitrary<Case>, runs: { numRuns: number; seconds: number }, seedOffset: number, examples: Case[] = []): Promise<void> {
  let shrinkDeadline: number | undefined;
  let ran = 0;
  const seed = SEED + seedOffset;
  const start = performance.now();
  const budgetEnds = start + runs.seconds * 1000 * BUDGET_SCALE;
  await fc
    .assert(
      fc.asyncProperty(cases, async (c) => {
        if (shrinkDeadline !== undefined ? performance.now() > shrinkDeadline : performance.now() > budgetEnds) return;
        ran++;
        try {
          await fuzzed.run(c);
        } catch (error) {
          if (shrinkDeadline === undefined) {
            shrinkDeadline = performance.now() + SHRINK_BUDGET_MS;
            console.log(
              `# ${c.kind}: FIRST FAILURE at case ${ran}, ${((performance.now() - start) / 1000).toFixed(1)} s into the property (${seconds()} s into the file): ${(error as Error).message}`,
            );
          }
          throw error;
        }
      }),
      { seed, numRuns: runs.numRuns, examples: examples.map((c) => [c] as [Case]) },
    )
    .finally(() => {
      const cut = shrinkDeadline === undefined && ran < runs.numRuns ? ` (time budget of ${(runs.seconds * BUDGET_SCALE).toFixed(0)} s spent)` : "";
      console.log(`# seed ${seed}: ${ran} cases in ${((performance.now() - start) / 1000).toFixed(1)} s${cut}`);
    });
}

before(async () => {
  await fuzzed.ready();
});
after(async () => {
  const end = await fuzzed.settledRss();
  const list = (m: Map<string | number, number>) => [...m].map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(
    `# protocol fuzz: seed ${SEED}; cases: ${list(fuzzed.cases)}; frames: ${list(fuzzed.frameClasses)} (leading bytes: ${fuzzed.leadingBytes.size} of 256); ` +
      `close codes: ${list(fuzzed.closeCodes)}; unsettled ${fuzzed.unsettled}; decoder warnings ${fuzzed.decoderWarnings}; restarts ${fuzzed.restarts}; ` +
      `longest patch gap ${fuzzed.maxGapMs.toFixed(0)} ms by the server's stamps (${fuzzed.maxGapCase}), ${fuzzed.maxArrivalGapMs.toFixed(0)} ms by arrival here; RSS start ${fuzzed.rssStartMb.toFixed(0)} / max ${fuzzed.rssMaxMb.toFixed(0)} / end ${end.toFixed(0)} MB (start and end after a full GC); ${seconds()} s`,
  );
  await fuzzed.stop();
});

describe("fuzzing the whole client→server wire protocol", () => {
  const timeout = 90_000; // a harness that hangs fails instead
  it("unreliable input rings (20): [baseSeq]([len][body])*", { timeout }, () =>
    fuzz(inputCases("ring", unreliableFrame(false), 4), { numRuns: 400, seconds: 7 }, 1),
  );
  it("unreliable inputs with TIMED (0x94): stamp blocks [k][uint32][Δ]… then the ring", { timeout }, () =>
    fuzz(inputCases("stamps", unreliableFrame(true), 4), { numRuns: 400, seconds: 7 }, 2),
  );
  it("reliable inputs (19, 0x93): stamps and schema operations", { timeout }, () =>
    fuzz(inputCases("reliable", fc.oneof(reliableFrame(false), reliableFrame(true)), 32), { numRuns: 400, seconds: 10 }, 3),
  );
  it("input groups (17): [type][count]([length][frame])*, whole and with one lie", { timeout }, () =>
    fuzz(inputCases("groups", inputGroup, 8), { numRuns: 300, seconds: 6 }, 8),
  );
  it("lobby sockets: any join body, filter messages, any frame", { timeout }, () => fuzz(lobbyCases, { numRuns: 300, seconds: 4 }, 4));
  it("every leading byte 0-255, each base opcode with each set of modifier bits", { timeout }, () =>
    fuzz(opcodeCases, { numRuns: 800, seconds: 12 }, 5, everyLeadingByte),
  );
  it("ROOM_DATA, ROOM_DATA_BYTES, ROOM_REQUEST: message types and msgpack", { timeout }, () => fuzz(messageCases, { numRuns: 600, seconds: 10 }, 6));
  it("floods of any frame", { timeout }, () => fuzz(floodCases, { numRuns: 60, seconds: 3 }, 7));
  it("after all of it: the server answers, the observer's patches kept their pace, memory came back", { timeout }, async () => {
    assert.equal(fuzzed.restarts, 0, "no child had to be replaced after a hang, a crash or a memory blow-up");
    const { endpoint } = fuzzed.server;
    assert.equal((await fetch(`${endpoint}/api/health`, { signal: AbortSignal.timeout(1000) })).status, 200);
    assert.ok(fuzzed.maxGapMs < MAX_GAP_MS, `longest gap between the observer's patches ${fuzzed.maxGapMs.toFixed(0)} ms`);
    const settled = await fuzzed.settledRss();
    assert.ok(
      settled - fuzzed.rssStartMb <= MAX_RSS_GROWTH_MB,
      `RSS ${settled.toFixed(0)} MB after a full GC, ${fuzzed.rssStartMb.toFixed(0)} MB at the start`,
    );
  });
});
