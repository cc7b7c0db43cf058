import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Decoder, Encoder } from "@colyseus/schema";
import { ArenaState, clearEvents, forEachPatchEvent, recordEvent, type PatchEvent } from "../src/index.ts";

/** A client as ArenaConnection runs one: decodes the full state, then patches, reading events after each patch but not the first state. */
class Receiver {
  readonly state = new ArenaState();
  readonly decoder = new Decoder(this.state);
  readonly events: PatchEvent[] = [];
  #first = true;
  receive(bytes: Uint8Array): void {
    this.decoder.decode(bytes);
    if (this.#first) this.#first = false;
    else forEachPatchEvent(this.state, (e) => this.events.push(e));
  }
}

const shot = (n: number): PatchEvent => ({ type: "shot", shooter: "s", x1: n, y1: 10, x2: n + 100, y2: 10, target: n % 2 === 0 ? null : "t" });

describe("patch events", () => {
  it("reach every client once and in order, whenever it joined, across empty intervals", () => {
    const state = new ArenaState();
    const encoder = new Encoder(state);
    const clients: Receiver[] = [];
    const join = () => {
      const c = new Receiver();
      c.receive(encoder.encodeAll().slice());
      clients.push(c);
      return c;
    };
    const patch = () => {
      const it = { offset: 0 };
      const bytes = encoder.hasChanges ? encoder.encode(it).slice(0, it.offset) : new Uint8Array(0);
      encoder.discardChanges();
      for (const c of clients) c.receive(bytes);
      clearEvents(state);
    };
    const early = join();
    const recorded: PatchEvent[] = [];
    const record = (e: PatchEvent) => {
      recordEvent(state, e);
      recorded.push(e);
    };
    record(shot(1));
    record(shot(2));
    record({ type: "kill", killer: "s", victim: "t" });
    patch();
    patch(); // an interval without events
    record(shot(3));
    const late = join(); // between an event and the patch that carries it
    record({ type: "pickup", player: "t", index: 2 });
    patch();
    patch();
    assert.deepEqual(early.events, recorded);
    assert.deepEqual(late.events, recorded.slice(3), "the late client gets the interval it joined in, once");
    assert.equal(state.shots.length + state.kills.length + state.pickupsTaken.length, 0);
  });

  it("a miss travels as an empty target and comes back as null", () => {
    const state = new ArenaState();
    recordEvent(state, { type: "shot", shooter: "a", x1: 10.5, y1: 20.25, x2: 700.03125, y2: 30, target: null });
    const seen: PatchEvent[] = [];
    forEachPatchEvent(state, (e) => seen.push(e));
    assert.deepEqual(seen, [{ type: "shot", shooter: "a", x1: 10.5, y1: 20.25, x2: 700.03125, y2: 30, target: null }]);
  });
});
