import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { decodeReplay } from "@arena/shared";
import { REPLAY_KEEP_MAX } from "../../src/config.ts";
import { CorruptReplay, ReplayVerifier } from "../../src/replays/ReplayVerifier.ts";
import { rawReplayOf } from "../helpers/replays.ts";

describe("the replay check (ReplayVerifier)", () => {
  it("passes a sound replay of its id, and refuses one that does not gunzip, does not decode, or is another id's", async () => {
    const verifier = new ReplayVerifier();
    const good = rawReplayOf("good_replay_0001", { ticks: 30 });
    await verifier.verify("good_replay_0001", gzipSync(good));
    await assert.rejects(
      verifier.verify("other_replay_001", gzipSync(good)),
      (e: Error) => e instanceof CorruptReplay && /holds replay good_replay_0001/.test(e.message),
    );
    await assert.rejects(
      verifier.verify("notgzip_replay01", Buffer.from("not gzip")),
      (e: Error) => e instanceof CorruptReplay && /does not gunzip/.test(e.message),
    );
    const cut = good.subarray(0, good.byteLength - 3);
    await assert.rejects(verifier.verify("cut_replay_00001", gzipSync(cut)), (e: Error) => e instanceof CorruptReplay && /does not decode/.test(e.message));
    // The worker survives refusals: a sound replay still passes after them.
    await verifier.verify("good_replay_0002", gzipSync(rawReplayOf("good_replay_0002", { ticks: 10 })));
  });

  it("shares one check among concurrent requests for an id, and checks several ids side by side", async () => {
    const verifier = new ReplayVerifier();
    const ids = ["side_replay_0001", "side_replay_0002", "side_replay_0003"];
    const stored = new Map(ids.map((id) => [id, gzipSync(rawReplayOf(id, { ticks: 20 }))]));
    await Promise.all([...ids, ...ids].map((id) => verifier.verify(id, stored.get(id)!)));
    await assert.rejects(verifier.verify("side_replay_0004", stored.get(ids[0])!), CorruptReplay);
  });

  it("checks each id of a store at its largest retention once: the ids checked before are remembered while REPLAY_KEEP_MAX others are checked", async () => {
    const verifier = new ReplayVerifier();
    const first = "first_replay_001";
    await verifier.verify(first, gzipSync(rawReplayOf(first, { ticks: 1 })));
    // A sound replay for each of REPLAY_KEEP_MAX other ids: one replay, its id (16 ASCII characters in the header) written over.
    const template = rawReplayOf("other_replay_000", { ticks: 1 });
    const at = Buffer.from(template).indexOf("other_replay_000");
    const soundOf = (id: string): Uint8Array => {
      const raw = Buffer.from(template);
      raw.write(id, at, "ascii");
      return gzipSync(raw);
    };
    const ids = Array.from({ length: REPLAY_KEEP_MAX }, (_, i) => `keep_${String(i).padStart(11, "0")}`);
    for (let i = 0; i < ids.length; i += 500) {
      await Promise.all(ids.slice(i, i + 500).map((id) => verifier.verify(id, soundOf(id))));
    }
    // Remembered as sound: not checked again (these bytes would be refused).
    await verifier.verify(first, Buffer.from("not gzip"));
  });

  it("admits requests for ids not checked yet up to its bound, and any request for an id it has a verdict on", async () => {
    const verifier = new ReplayVerifier(2);
    const ends = [verifier.admit("unknown_replay01"), verifier.admit("unknown_replay02")];
    assert.ok(ends.every((end) => end !== null));
    assert.equal(verifier.admit("unknown_replay03"), null, "past the bound");
    await verifier.verify("known_replay_001", gzipSync(rawReplayOf("known_replay_001", { ticks: 5 })));
    assert.notEqual(verifier.admit("known_replay_001"), null, "a known id needs no check");
    ends[0]();
    ends[0](); // ending twice frees one slot, once
    const third = verifier.admit("unknown_replay03");
    assert.notEqual(third, null);
    assert.equal(verifier.admit("unknown_replay04"), null);
  });

  it("checks a refused replay once: asked again, it is refused without another check (its file never changes)", async () => {
    const verifier = new ReplayVerifier();
    const id = "refused_replay01";
    await assert.rejects(verifier.verify(id, Buffer.from("not gzip")), (e: Error) => e instanceof CorruptReplay && /does not gunzip/.test(e.message));
    // Sound bytes now: refused all the same, so no request for a damaged file costs the worker a check again.
    await assert.rejects(
      verifier.verify(id, gzipSync(rawReplayOf(id, { ticks: 1 }))),
      (e: Error) => e instanceof CorruptReplay && /does not gunzip/.test(e.message),
    );
  });

  it("decodes off the event loop: the loop keeps turning while a replay that takes it long to decode is checked", async () => {
    const raw = rawReplayOf("large_replay_001", { ticks: 24_000, players: 12, moving: true });
    const gzipped = gzipSync(raw);
    // How long this replay holds the loop when decoded on it, here and now.
    const started = performance.now();
    decodeReplay(raw);
    const onLoopMs = performance.now() - started;
    const verifier = new ReplayVerifier();
    await verifier.verify("warm_replay_0001", gzipSync(rawReplayOf("warm_replay_0001", { ticks: 5 }))); // the worker started
    let longestGapMs = 0;
    let last = performance.now();
    let done = false;
    const turns = (): void => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      if (!done) setImmediate(turns);
    };
    setImmediate(turns);
    await verifier.verify("large_replay_001", gzipped);
    done = true;
    console.log(
      `# ${raw.byteLength} bytes raw, decoded on the loop in ${onLoopMs.toFixed(1)} ms; longest gap between turns while checked: ${longestGapMs.toFixed(1)} ms`,
    );
    assert.ok(longestGapMs < onLoopMs / 2, `the loop stopped for ${longestGapMs.toFixed(1)} ms; decoding on it takes ${onLoopMs.toFixed(1)} ms`);
  });
});
