import { LobbyRoom, type AuthContext, type Client } from "@colyseus/core";
import { ArenaError } from "../ArenaError.ts";
import { z } from "zod";
import { ClientGuard } from "./ClientGuard.ts";
import { lobbyFrames } from "./framePolicy.ts";
import { sendRoomError, sendUnknownMessage, type ErrorClient } from "./sendRoomError.ts";
import type { RoomContext } from "./ArenaRoom.ts";

/** Longest room name or metadata key or value a filter may name. */
const FILTER_TEXT_MAX = 64;
const text = z.string().max(FILTER_TEXT_MAX);

/** A lobby filter (Colyseus's FilterInput): a room name and metadata fields, plain values only. */
const filterShape = z
  .object({
    name: text.optional(),
    metadata: z.record(text, z.union([text, z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict();

/** What a client may pass when it joins the lobby (Colyseus's LobbyOptions). */
const optionsShape = z.object({ filter: filterShape.optional() }).strict();

/** LobbyRoom's client: it is sent the room list (core does not export the type). */
type LobbyClient = Parameters<LobbyRoom["onJoin"]>[0];

/** Core's Room.onMessage as its implementation answers (its overloads declare no return type, so any): the function that unbinds the handler. */
type OnMessage = (type: string | number, ...rest: unknown[]) => () => void;

/**
 * Colyseus's LobbyRoom (the realtime room list) with the guards every room
 * type of this server has: validated join options (LobbyRoom stores whatever
 * it is given, and a later `filter` message on a string threw out of the
 * room and ended the process), validated `filter` messages, the frame policy
 * and flood guard, the send-backlog cut, and errors kept inside the room.
 */
export class ArenaLobby extends LobbyRoom {
  private readonly guard: ClientGuard;

  /** Colyseus constructs rooms with no arguments: `arenaLobbyFor` binds the context. */
  constructor(private readonly ctx: RoomContext) {
    super();
    this.guard = new ClientGuard(this, lobbyFrames, ctx);
  }

  static override async onAuth(_token: string, options: unknown, _context: AuthContext): Promise<boolean> {
    if (!optionsShape.safeParse(options ?? {}).success) {
      throw new ArenaError("bad_options", "Lobby options are { filter?: { name?, metadata? } }.");
    }
    return true;
  }

  override async onCreate(options: unknown): Promise<void> {
    await super.onCreate(options);
    this.onMessage("*", (client: ErrorClient, type: unknown) => sendUnknownMessage(client, type));
  }

  /** LobbyRoom registers its `filter` handler through here: it only ever sees a valid filter. */
  override onMessage(type: string | number, ...rest: unknown[]): () => void {
    const [handler] = rest;
    if (type !== "filter" || rest.length !== 1 || typeof handler !== "function") {
      return (super.onMessage as OnMessage)(type, ...rest);
    }
    return (super.onMessage as OnMessage)("filter", (client: ErrorClient, payload: unknown) => {
      const filter = filterShape.safeParse(payload);
      if (!filter.success) return sendRoomError(client, "bad_message");
      (handler as (client: Client, filter: unknown) => void)(client, filter.data);
    });
  }

  /** `options` passed onAuth's check. */
  override onJoin(client: LobbyClient, options: z.infer<typeof optionsShape> | undefined): void {
    this.guard.watch(client);
    super.onJoin(client, options ?? {});
  }

  /** The lobby has no state to patch, but core still calls this on every patch tick: the backlog check rides it. */
  override broadcastPatch(): boolean {
    const changed = super.broadcastPatch();
    this.guard.checkBacklogs();
    return changed;
  }

  override onLeave(client: LobbyClient): void {
    this.guard.forget(client.sessionId);
    super.onLeave(client);
  }

  /** A handler's error stays in the lobby: logged, and the lobby goes on. */
  override onUncaughtException(error: Error, methodName: string): void {
    this.ctx.log.error({ roomId: this.roomId, method: methodName, err: error }, "lobby error");
  }
}

/** The lobby class to register on a server, bound to its settings. */
export function arenaLobbyFor(context: RoomContext): typeof ArenaLobby {
  return class extends ArenaLobby {
    constructor() {
      super(context);
    }
  };
}
