import type { Client } from "@colyseus/core";
import type { ServerMessages } from "@arena/shared";

/** A client of an arena room: `send` and the room's `broadcast` take only the messages of the wire contract (shared `ServerMessages`). */
export type ArenaClient = Client<{ messages: ServerMessages }>;
