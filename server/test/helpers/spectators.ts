import { Client } from "@colyseus/sdk";
import { ArenaState, PROTOCOL_VERSION, parseErrorCode, type ArenaRoomType, type RoomListing } from "@arena/shared";
import { type ArenaRoomClient, request, TestPlayer } from "@arena/testkit";

/** A spectator of `roomId` on the real SDK (`joinById` with `spectate`). */
export async function watchRoom(endpoint: string, roomId: string, name = "Sam"): Promise<TestPlayer> {
  const room = await new Client(endpoint).joinById<ArenaRoomType>(roomId, { name, protocol: PROTOCOL_VERSION, spectate: true }, ArenaState);
  return new TestPlayer(room as ArenaRoomClient);
}

/** A room's row in `GET /api/rooms`, if listed. */
export async function listedRoom(endpoint: string, roomId: string): Promise<RoomListing | undefined> {
  const { body } = await request(endpoint, "GET", "/api/rooms");
  return (body.rooms as RoomListing[]).find((room) => room.roomId === roomId);
}

/** The project's error code of an answer: its `errorCode`, or read from Colyseus's `error` text. */
export const errorCodeOf = (body: { errorCode?: string; error?: unknown } | undefined): string | undefined =>
  body?.errorCode ?? parseErrorCode(String(body?.error)) ?? undefined;

/** Rooms the server has (its health answer). */
export const roomCountOf = async (endpoint: string): Promise<number> => (await request(endpoint, "GET", "/api/health")).body.rooms as number;
