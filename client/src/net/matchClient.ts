import type { Room, SeatReservation } from "@colyseus/sdk";

/** The SDK's `SchemaConstructor` (which it does not export): the state class a room decodes into. */
type StateClass<State> = new (...args: never[]) => State;

/**
 * A room's types as the SDK reads them (its `ServerRoomLike`, which it does
 * not export): the state, and optionally the join options, the messages
 * both ways (`ArenaRoomType` in @arena/shared).
 */
export interface RoomShape {
  state: unknown;
  onJoin?: (client: never, options: never) => void;
}

/** The options a room's `onJoin` takes. */
type JoinOptionsOf<RoomType extends RoomShape> = Parameters<NonNullable<RoomType["onJoin"]>>[1];

/**
 * What ArenaConnection and the lobby ask of the SDK's Client, in the shape
 * of the SDK's own overloads that take the room's type (`joinOrCreate<RoomType>`):
 * the SDK's Client in the game, an in-memory one in the unit tests
 * (client/test/unit). The caller names the room's type; nothing checks it
 * against the server's room, as with the SDK's own overloads.
 */
export interface MatchClient {
  joinOrCreate<RoomType extends RoomShape>(
    roomName: string,
    options?: JoinOptionsOf<RoomType>,
    rootSchema?: StateClass<RoomType["state"]>,
  ): Promise<Room<RoomType, RoomType["state"]>>;
  joinById<RoomType extends RoomShape>(
    roomId: string,
    options?: JoinOptionsOf<RoomType>,
    rootSchema?: StateClass<RoomType["state"]>,
  ): Promise<Room<RoomType, RoomType["state"]>>;
  consumeSeatReservation<RoomType extends RoomShape>(
    reservation: SeatReservation,
    rootSchema?: StateClass<RoomType["state"]>,
  ): Promise<Room<RoomType, RoomType["state"]>>;
  reconnect<RoomType extends RoomShape>(reconnectionToken: string, rootSchema?: StateClass<RoomType["state"]>): Promise<Room<RoomType, RoomType["state"]>>;
}
