import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Client } from "@colyseus/core";
import fc from "fast-check";
import { CHAT_MAX_CHARS, type ServerMessages } from "@arena/shared";
import { TestClock } from "@arena/shared/TestClock";
import { RoomChat } from "../../src/rooms/RoomChat.ts";

const WINDOW_MS = 10_000;
const BURST = 5;

/** A room of named players around a RoomChat, recording what it broadcasts and the errors each sender gets back. */
function chatRoom(clock = new TestClock()) {
  const broadcasts: ServerMessages["chat"][] = [];
  const errors: { to: string; code: string }[] = [];
  const chat = new RoomChat({ nameOf: (id) => `name of ${id}`, broadcast: (message) => broadcasts.push(message) }, clock);
  /** What receive needs of a Colyseus client: its session id, and `send` for a refusal. */
  const client = (sessionId: string) =>
    ({
      sessionId,
      send: (type: string, payload: { code: string }) => {
        if (type === "error") errors.push({ to: sessionId, code: payload.code });
      },
    }) as unknown as Client;
  return { chat, clock, broadcasts, errors, client };
}

/** Characters of a message without control characters: letters, accents, spaces, and emoji (two UTF-16 units each). */
const visible = fc.constantFrom("a", "Z", "é", "ß", "中", " ", "😀", "🎯");
/** Text of about CHAT_MAX_CHARS characters, starting and ending with a letter (nothing for the trim to take). */
const aroundTheLimit = fc.array(visible, { minLength: CHAT_MAX_CHARS - 12, maxLength: CHAT_MAX_CHARS + 8 }).map((chars) => `x${chars.join("")}x`);

describe("RoomChat", () => {
  it(`holds ${CHAT_MAX_CHARS} characters (counted as characters, not UTF-16 units): a message that long passes whole, a longer one is refused`, () => {
    fc.assert(
      fc.property(aroundTheLimit, (text) => {
        const { chat, broadcasts, errors, client } = chatRoom();
        chat.receive(client("ann"), { text });
        if ([...text].length <= CHAT_MAX_CHARS)
          assert.deepEqual(
            broadcasts.map((b) => b.text),
            [text],
          );
        else assert.deepEqual([broadcasts.length, errors], [0, [{ to: "ann", code: "chat_too_long" }]]);
      }),
    );
  });

  it("what it broadcasts has no control characters, no outer spaces and at most the limit, whatever was sent", () => {
    const anyChar = fc.oneof(
      visible,
      fc.constantFrom("\u0000", "\u0007", "\n", "\t", "\u200b", "\u202e", "\ud800", "\u00ad"),
      fc.string({ unit: "binary", maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(anyChar, { maxLength: CHAT_MAX_CHARS + 20 }), (chars) => {
        const { chat, broadcasts, errors, client } = chatRoom();
        chat.receive(client("ann"), { text: chars.join("") });
        for (const { text } of broadcasts) {
          assert.doesNotMatch(text, /\p{C}/u);
          assert.equal(text, text.trim());
          assert.ok(text.length > 0 && [...text].length <= CHAT_MAX_CHARS);
        }
        assert.ok(broadcasts.length + errors.length <= 1);
      }),
    );
  });

  it(`lets each player send ${BURST} messages in any ${WINDOW_MS / 1000} s, no more, the next as soon as the oldest is ${WINDOW_MS / 1000} s old`, async () => {
    // Mostly a chatty pace (a burst hits the limit), some exact fractions of the window (a message on its edge), some long pauses.
    const gapMs = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 2500 }), weight: 6 },
      { arbitrary: fc.constantFrom(0, 1, 2000, 2500, WINDOW_MS - 1, WINDOW_MS), weight: 3 },
      { arbitrary: fc.integer({ min: 0, max: 12_000 }), weight: 1 },
    );
    const randomSteps = fc.array(fc.record({ gapMs, from: fc.constantFrom("ann", "bob") }), { maxLength: 40, size: "max" });
    // A player typing at a steady pace that divides the window, so a message lands exactly on its edge.
    const pacedSteps = fc.constantFrom(1, 2000, 2500).chain((pace) =>
      fc.array(
        fc.record({
          gapMs: fc.oneof({ arbitrary: fc.constant(pace), weight: 8 }, gapMs),
          from: fc.oneof({ arbitrary: fc.constant("ann"), weight: 6 }, fc.constant("bob")),
        }),
        { maxLength: 40, size: "max" },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(randomSteps, pacedSteps), async (steps) => {
        const { chat, clock, broadcasts, errors, client } = chatRoom();
        const accepted = new Map<string, number[]>([
          ["ann", []],
          ["bob", []],
        ]);
        for (const [i, { gapMs, from }] of steps.entries()) {
          await clock.advance(gapMs);
          const before = broadcasts.length;
          chat.receive(client(from), { text: `message ${i}` });
          // The rule: accepted when fewer than BURST of this sender's were accepted in the last WINDOW_MS.
          const mine = accepted.get(from)!;
          const due = mine.filter((at) => clock.now() - at < WINDOW_MS).length < BURST;
          assert.equal(broadcasts.length - before, due ? 1 : 0, `message ${i} from ${from} at ${clock.now()} ms`);
          if (due) mine.push(clock.now());
          else assert.deepEqual(errors.at(-1), { to: from, code: "chat_rate_limited" });
        }
        for (const times of accepted.values()) {
          for (let i = BURST; i < times.length; i++) assert.ok(times[i] - times[i - BURST] >= WINDOW_MS, `${BURST + 1} messages within ${WINDOW_MS} ms`);
        }
      }),
    );
  });

  it(`the sixth message goes through ${WINDOW_MS} ms after the first of five, not 1 ms sooner`, async () => {
    const { chat, clock, broadcasts, client } = chatRoom();
    for (let i = 0; i < BURST; i++) {
      chat.receive(client("ann"), { text: `m${i}` });
      await clock.advance(1);
    }
    await clock.advance(WINDOW_MS - BURST - 1);
    chat.receive(client("ann"), { text: "too soon" });
    await clock.advance(1);
    chat.receive(client("ann"), { text: "just in time" });
    assert.deepEqual(
      broadcasts.map((b) => b.text),
      ["m0", "m1", "m2", "m3", "m4", "just in time"],
    );
  });

  it("refuses what is not text, and ignores a message that is only spaces", () => {
    const { chat, broadcasts, errors, client } = chatRoom();
    chat.receive(client("ann"), { text: 42 });
    chat.receive(client("ann"), null);
    chat.receive(client("ann"), { text: " \u0007 " });
    assert.deepEqual([broadcasts.length, errors.map((e) => e.code)], [0, ["bad_message", "bad_message"]]);
  });
});
