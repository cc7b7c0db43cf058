import { randomInt } from "node:crypto";
import type { Presence } from "@colyseus/core";
import { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH } from "@arena/shared";

/** Presence hashes (Redis when scaled, memory otherwise). */
const CLAIMS = "arena:codeclaims"; // code -> claim count; 1 means claimed
const CODE_ROOMS = "arena:coderooms"; // code -> roomId
const ROOM_CODES = "arena:roomcodes"; // roomId -> code
const CLAIM_ATTEMPTS = 20;

/**
 * Join codes of private rooms, unique among live rooms of every process
 * because they live in the shared presence. A code is claimed atomically
 * before its room exists, bound to the room once created, and released when
 * the room is disposed (or its process is found dead).
 */
export class JoinCodes {
  /** `randomIndex`: a uniform integer in [0, n), crypto's by default (a test's own, to make codes collide). */
  constructor(
    private readonly presence: () => Presence,
    private readonly randomIndex: (n: number) => number = randomInt,
  ) {}

  /** A fresh code no live room holds. */
  async claim(): Promise<string> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      let code = "";
      for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += JOIN_CODE_ALPHABET[this.randomIndex(JOIN_CODE_ALPHABET.length)];
      if ((await this.presence().hincrby(CLAIMS, code, 1)) === 1) return code;
    }
    throw new Error("no free join code after several attempts");
  }

  async bind(code: string, roomId: string): Promise<void> {
    const presence = this.presence();
    // Idempotent: also what re-registers a code after Redis lost it.
    await presence.hset(CLAIMS, code, "1");
    await presence.hset(CODE_ROOMS, code, roomId);
    await presence.hset(ROOM_CODES, roomId, code);
  }

  /** The room a code belongs to, or null. */
  async roomOf(code: string): Promise<string | null> {
    return this.presence().hget(CODE_ROOMS, code);
  }

  /** Frees a claimed code whose room was never created. */
  async unclaim(code: string): Promise<void> {
    await this.presence().hdel(CLAIMS, code);
  }

  /** Frees the code of a room that is gone. */
  async releaseRoom(roomId: string): Promise<void> {
    const presence = this.presence();
    const code = await presence.hget(ROOM_CODES, roomId);
    if (code === null) return;
    await presence.hdel(ROOM_CODES, roomId);
    await presence.hdel(CODE_ROOMS, code);
    await presence.hdel(CLAIMS, code);
  }
}
