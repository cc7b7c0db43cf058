import type { Room, RoomAvailable } from "@colyseus/sdk";
import { DEFAULT_MODE, ROOM_NAME, readListing, type RoomListing } from "@arena/shared";
import type { MatchClient } from "./matchClient.ts";

/** A room as Colyseus's LobbyRoom sends it (its listing row). */
type LobbyRow = RoomAvailable<{ mode?: string }> & { locked?: boolean; processId?: string };

/** Colyseus's LobbyRoom as its clients see it: no state, the whole list, then each change. */
interface LobbyRoomType {
  state: undefined;
  "~state": undefined;
  "~client": { "~messages": { rooms: LobbyRow[]; "+": [roomId: string, room: LobbyRow]; "-": string } };
}

function listingOf(row: LobbyRow): RoomListing {
  return readListing(row, DEFAULT_MODE);
}

/**
 * Follows the public room list (Colyseus's LobbyRoom): `update` gets the
 * whole list on every change. Returns a function that stops following.
 */
export function watchLobby(client: Pick<MatchClient, "joinOrCreate">, update: (rooms: RoomListing[]) => void): () => void {
  const rooms = new Map<string, LobbyRow>();
  const publish = () => update([...rooms.values()].filter((r) => r.name === ROOM_NAME).map(listingOf));
  let lobby: Room<LobbyRoomType, undefined> | undefined;
  let stopped = false;
  client
    .joinOrCreate<LobbyRoomType>("lobby")
    .then((joined) => {
      if (stopped) return void joined.leave();
      lobby = joined;
      joined.onMessage("rooms", (list: LobbyRow[]) => {
        rooms.clear();
        for (const room of list) rooms.set(room.roomId, room);
        publish();
      });
      joined.onMessage("+", ([roomId, room]: [string, LobbyRow]) => {
        rooms.set(roomId, room);
        publish();
      });
      joined.onMessage("-", (roomId: string) => {
        rooms.delete(roomId);
        publish();
      });
    })
    .catch(() => {
      /* no list: the menu still works without it */
    });
  return () => {
    stopped = true;
    void lobby?.leave().catch(() => {});
  };
}
