import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normaliseName } from "../src/protocol.ts";

describe("player names", () => {
  it("accepts names in any script, with accents, digits, punctuation and emoji", () => {
    for (const name of ["Ana", "José", "Zoë", "李小龙", "Ünal-42", "🙂Bob", "Nguyễn", "a b", "Ωmega_9"]) {
      assert.equal(normaliseName(name), name.normalize("NFC"), name);
    }
    assert.equal(normaliseName("  Ana  "), "Ana", "trimmed");
    assert.equal(normaliseName("Jose\u0301"), "José", "stored composed (NFC)");
  });

  it("refuses names that render blank, pile marks, or break lines", () => {
    const refused: [string, string][] = [
      ["Hangul filler", "\u3164"],
      ["Hangul fillers", "\u3164\u3164\u3164"],
      ["choseong filler", "\u115F"],
      ["jungseong filler", "\u1160x"],
      ["halfwidth filler", "\uFFA0"],
      ["blank Braille", "\u2800\u2800\u2800"],
      ["combining marks stacked", "a\u0301\u0302\u0303\u0304\u0305"],
      ["line separator", "a\u2028b"],
      ["paragraph separator", "a\u2029b"],
      ["no-break space", "a\u00a0b"],
      ["ideographic space", "a\u3000b"],
      ["zero-width space", "\u200b"],
      ["spaces only", "   "],
      ["control character", "a\u0007"],
      ["empty", ""],
      ["too long", "x".repeat(17)],
      ["not a string", 42 as unknown as string],
    ];
    for (const [why, name] of refused) assert.equal(normaliseName(name), null, why);
  });
});
