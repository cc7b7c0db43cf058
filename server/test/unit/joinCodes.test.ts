import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LocalPresence } from "@colyseus/core";
import fc from "fast-check";
import { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, normaliseJoinCode } from "@arena/shared";
import { JoinCodes } from "../../src/matchmaking/JoinCodes.ts";

/** A join code as a player might type it: any case, a dash or spaces in it (`seed` picks where). */
function typed(code: string, seed: number): string {
  const cased = [...code].map((ch, i) => ((seed >> i) & 1 ? ch.toLowerCase() : ch)).join("");
  return seed & 64 ? `${cased.slice(0, 3)}-${cased.slice(3)}` : seed & 128 ? ` ${cased} ` : cased;
}

const usesTheAlphabet = (code: string) => code.length === JOIN_CODE_LENGTH && [...code].every((ch) => JOIN_CODE_ALPHABET.includes(ch));

/** What happens to private rooms: one made (a code claimed and bound), a claim whose room was never made, a room gone. */
const action = fc.oneof(
  fc.constant({ kind: "create" as const }),
  fc.constant({ kind: "claim" as const }),
  fc.record({ kind: fc.constant("unclaim" as const), which: fc.nat() }),
  fc.record({ kind: fc.constant("dispose" as const), which: fc.nat() }),
);

describe("JoinCodes, over Colyseus's in-memory presence", () => {
  it("codes use only the alphabet, never repeat among live rooms and pending claims, and are found again in any case", async () => {
    // Draws from a handful of characters mostly, so codes collide often; now and then from all of them.
    const draws = fc.array(fc.oneof(fc.nat({ max: 1 }), fc.nat({ max: 40 })), { minLength: 1, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(draws, fc.array(action, { maxLength: 40 }), fc.nat(), async (indices, actions, seed) => {
        let next = 0;
        const drawn: number[] = [];
        const presence = new LocalPresence();
        const codes = new JoinCodes(
          () => presence,
          (n) => {
            const i = indices[next++ % indices.length] % n;
            drawn.push(i);
            return i;
          },
        );
        const rooms = new Map<string, string>(); // live room -> its code
        const pending: string[] = []; // claimed, room not made yet
        let roomIds = 0;
        const live = () => new Set([...rooms.values(), ...pending]);
        for (const step of actions) {
          if (step.kind === "create" || step.kind === "claim") {
            const before = live();
            drawn.length = 0;
            const code = await codes.claim().catch(() => null);
            if (code === null) {
              // Refused only when every code it drew was taken.
              for (let i = 0; i < drawn.length; i += JOIN_CODE_LENGTH) {
                assert.ok(
                  before.has(
                    drawn
                      .slice(i, i + JOIN_CODE_LENGTH)
                      .map((d) => JOIN_CODE_ALPHABET[d])
                      .join(""),
                  ),
                  "gave up though a drawn code was free",
                );
              }
              continue;
            }
            assert.ok(usesTheAlphabet(code), `code ${JSON.stringify(code)}`);
            assert.ok(!before.has(code), `${code} is already live`);
            if (step.kind === "claim") pending.push(code);
            else {
              const roomId = `room${++roomIds}`;
              await codes.bind(code, roomId);
              rooms.set(roomId, code);
            }
          } else if (step.kind === "unclaim" && pending.length > 0) {
            await codes.unclaim(pending.splice(step.which % pending.length, 1)[0]);
          } else if (step.kind === "dispose" && rooms.size > 0) {
            const roomId = [...rooms.keys()][step.which % rooms.size];
            const code = rooms.get(roomId)!;
            rooms.delete(roomId);
            await codes.releaseRoom(roomId);
            assert.equal(await codes.roomOf(code), null, "a gone room's code leads nowhere");
          }
        }
        for (const [roomId, code] of rooms) assert.equal(await codes.roomOf(normaliseJoinCode(typed(code, seed))!), roomId, `typed ${typed(code, seed)}`);
      }),
    );
  });

  it("codes drawn with the real generator use only the alphabet", async () => {
    const codes = new JoinCodes(() => new LocalPresence());
    for (let i = 0; i < 200; i++) assert.ok(usesTheAlphabet(await codes.claim()));
  });

  it("a typed code is compared without case, spaces or dashes; anything outside the alphabet is no code", () => {
    assert.equal(normaliseJoinCode(" ab3-4cd "), "AB34CD");
    for (const wrong of ["AB34C0", "AB34CI", "AB34C", "AB34CDE", 42, null]) assert.equal(normaliseJoinCode(wrong), null, String(wrong));
  });
});
