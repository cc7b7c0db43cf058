import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { median, quantile } from "../src/quantile.ts";

describe("quantile", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 down to 1

  it("is the sample at index floor(q * n) of the sorted samples", () => {
    assert.equal(quantile(hundred, 0), 1);
    assert.equal(quantile(hundred, 0.5), 51);
    assert.equal(quantile(hundred, 0.9), 91);
    assert.equal(quantile(hundred, 0.99), 100, "p99 of 100 samples is the largest");
    assert.equal(quantile(hundred, 1), 100);
    assert.equal(quantile([0.5, 2.5], 0.25), 0.5, "always a sample, never between two");
  });

  it("takes the upper middle for the median of an even count", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 3);
  });

  it("is NaN with no samples, and leaves the samples as they were", () => {
    assert.ok(Number.isNaN(quantile([], 0.5)));
    const samples = [3, 1, 2];
    median(samples);
    assert.deepEqual(samples, [3, 1, 2]);
  });

  it("refuses a q outside 0..1", () => {
    assert.throws(() => quantile([1], 99), RangeError);
    assert.throws(() => quantile([1], NaN), RangeError);
  });
});
