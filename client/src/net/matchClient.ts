import type { Room } from "@colyseus/sdk";

/** The SDK's `SchemaConstructor` (which it does not export): the state class a room decodes into. */
type StateClass<State> = new (...args: any[]) => State;

/**
 * What ArenaConnection and the lobby ask of the SDK's Client, in the SDK's
 * own signatures: the SDK's Client in the game, an in-memory one in the unit
 * tests (client/test/unit).
 */
export interface MatchClient {
  joinOrCreate<State = any>(roomName: string, options?: unknown, rootSchema?: StateClass<State>): Promise<Room<any, State>>;
  joinById<State = any>(roomId: string, options?: unknown, rootSchema?: StateClass<State>): Promise<Room<any, State>>;
  consumeSeatReservation<State>(reservation: any, rootSchema?: StateClass<State>): Promise<Room<any, State>>;
  reconnect<State = any>(reconnectionToken: string, rootSchema?: StateClass<State>): Promise<Room<any, State>>;
}
