import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseVariants, systemName } from "../src/bench/runtimeVariants.ts";

describe("--arena-variants", () => {
  it("reads names, flags and a Node binary, and always measures the default first when it is not listed", () => {
    const variants = parseVariants(`semi16=--max-semi-space-size=16,other=${process.execPath} --max-semi-space-size=64 --no-opt`);
    assert.deepEqual(
      variants.map((v) => [v.name, v.execPath, v.execArgv]),
      [
        ["default", undefined, []],
        ["semi16", undefined, ["--max-semi-space-size=16"]],
        ["other", process.execPath, ["--max-semi-space-size=64", "--no-opt"]],
      ],
    );
    assert.deepEqual(variants.map(systemName), ["arena", "arena:semi16", "arena:other"]);
  });

  it("keeps the listed order, default included, and no option gives the default alone", () => {
    assert.deepEqual(
      parseVariants("semi64=--max-semi-space-size=64,default").map((v) => v.name),
      ["semi64", "default"],
    );
    assert.deepEqual(
      parseVariants(undefined).map((v) => v.name),
      ["default"],
    );
  });

  it("refuses what it cannot run", () => {
    assert.throws(() => parseVariants("a=--x,a=--y"), /listed twice/);
    assert.throws(() => parseVariants("default=--x"), /default/);
    assert.throws(() => parseVariants("empty="), /sets nothing/);
    assert.throws(() => parseVariants("gone=/no/such/node"), /no Node binary/);
    assert.throws(() => parseVariants("two=/bin/sh /bin/sh"), /one Node binary/);
    assert.throws(() => parseVariants("bad name=--x"), /name/);
  });
});
