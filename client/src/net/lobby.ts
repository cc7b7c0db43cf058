import type { Room } from "@colyseus/sdk";
import { ROOM_NAME } from "@arena/shared";
import type { MatchClient } from "./matchClient.ts";

/** A public room as the lobby lists it. */
export interface LobbyEntry {
  roomId: string;
  name: string;
  clients: number;
  maxClients: number;
  metadata?: { mode?: string };
}

/**
 * Follows the public room list (Colyseus's LobbyRoom): `update` gets the
 * whole list on every change. Returns a function that stops following.
 */
export function watchLobby(client: Pick<MatchClient, "joinOrCreate">, update: (rooms: LobbyEntry[]) => void): () => void {
  const rooms = new Map<string, LobbyEntry>();
  const publish = () => update([...rooms.values()].filter((r) => r.name === ROOM_NAME));
  let lobby: Room | undefined;
  let stopped = false;
  client.joinOrCreate("lobby").then((joined) => {
    if (stopped) return void joined.leave();
    lobby = joined;
    joined.onMessage("rooms", (list: LobbyEntry[]) => {
      rooms.clear();
      for (const room of list) rooms.set(room.roomId, room);
      publish();
    });
    joined.onMessage("+", ([roomId, room]: [string, LobbyEntry]) => { rooms.set(roomId, room); publish(); });
    joined.onMessage("-", (roomId: string) => { rooms.delete(roomId); publish(); });
  }).catch(() => { /* no list: the menu still works without it */ });
  return () => {
    stopped = true;
    void lobby?.leave().catch(() => {});
  };
}
