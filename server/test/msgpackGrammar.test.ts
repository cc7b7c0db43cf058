import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Packr, unpack } from "msgpackr";
import { isPlainMsgpack } from "../src/rooms/msgpackGrammar.ts";
import { regExpOverSharedReferences, sharedReferences } from "./helpers/sharedReferences.ts";

/**
 * The scan that decides whether a message payload reaches msgpackr: it
 * accepts everything the SDK's encoder (a default `Packr`, records on)
 * writes for plain data, nothing msgpackr would fail on, and none of the
 * extensions that make decoding expensive.
 */
const sdkPacker = new Packr();
const accepts = (bytes: Uint8Array) => isPlainMsgpack(bytes, 0);
const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));

describe("message payload grammar", () => {
  it("accepts whatever the SDK's encoder writes for plain data, and msgpackr decodes it back", () => {
    const plain = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small", maxDepth: 4 },
        fc.constantFrom(null, true, false, undefined, 0, -1, 127, 128, -33, 2 ** 31, 2 ** 40, -(2 ** 40), 1.5, NaN, Infinity),
        fc.double(),
        fc.integer(),
        fc.string({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 70 }),
        fc.array(tie("value"), { maxLength: 20 }),
        fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 8 }),
      ),
    })).value;
    fc.assert(
      fc.property(plain, (value) => {
        const bytes = sdkPacker.pack(value);
        assert.ok(accepts(bytes), `refused ${Buffer.from(bytes).toString("hex")}`);
        assert.doesNotThrow(() => unpack(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it("accepts the SDK's chat and lobby filter payloads as sent", () => {
    assert.ok(accepts(hex("d4724091a474657874a26869")), "{ text: 'hi' } as a record");
    assert.ok(accepts(hex("d4724091a46e616d65a56172656e61")), "{ name: 'arena' } as a record");
    assert.ok(accepts(hex("d40000")), "undefined");
  });

  it("refuses shared references, regular expressions and every other extension", () => {
    assert.equal(accepts(Uint8Array.from(sharedReferences(26))), false, "structured-clone ids and pointers");
    assert.equal(accepts(Uint8Array.from(regExpOverSharedReferences(21))), false, "a RegExp over shared references");
    for (const ext of ["d4ff00", "d50100", "c70165aa", "c8000165", "c90000000165", "d6ff00000000", "d7ff0000000000000000", "d8ff" + "00".repeat(16), "c1"]) {
      assert.equal(accepts(hex(ext)), false, ext);
    }
    // The SDK's encoder writes dates as the timestamp extension (no game message has one).
    assert.equal(accepts(sdkPacker.pack(new Date(0))), false, "a date");
    assert.equal(accepts(hex("d4 78 00 a2 782b")), false, "a RegExp as msgpackr's extension decodes it");
    assert.equal(accepts(hex("d4 65 00 a1 65")), false, "an Error as msgpackr's extension decodes it");
  });

  it("refuses records with too many keys, counts past the end, nesting too deep, and trailing bytes", () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    assert.equal(accepts(sdkPacker.pack(Object.fromEntries(keys.map((k) => [k, 1])))), false, "40 keys");
    assert.equal(accepts(hex("dd ffffffff 01")), false, "array of 2^32-1");
    assert.equal(accepts(hex("df ffffffff 01 02")), false, "map of 2^32-1");
    assert.equal(accepts(hex("db ffffffff 61")), false, "string longer than the frame");
    assert.equal(accepts(Uint8Array.from({ length: 20 }, () => 0x91)), false, "20 levels of arrays");
    assert.equal(accepts(hex("c0 c0")), false, "two values");
    for (const key of ["91 01", "80", "c4 01 01", "d4 00 00"]) assert.equal(accepts(hex(`81 ${key} 01`)), false, `map key ${key}`);
    for (const key of ["c0", "c3", "01", "cb 3ff8000000000000", "a1 61"]) assert.ok(accepts(hex(`81 ${key} 01`)), `map key ${key}`);
    assert.equal(accepts(hex("")), false, "no value");
  });

  it("never accepts what msgpackr cannot decode exactly, and is total on any bytes", () => {
    const valid = fc.jsonValue({ maxDepth: 3 }).map((v) => sdkPacker.pack(v));
    const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(([bytes, edits]) => {
      const copy = Uint8Array.from(bytes);
      for (const [at, byte] of edits) if (copy.length > 0) copy[at % copy.length] = byte;
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        if (accepts(bytes)) assert.doesNotThrow(() => unpack(bytes), Buffer.from(bytes).toString("hex"));
      }),
      { numRuns: 5000 },
    );
  });
});
