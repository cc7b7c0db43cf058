import { ClientState, type Client } from "@colyseus/core";

/**
 * How many frames a patch or a broadcast makes, counted once where it is
 * made rather than on every send (arena_frames_sent_total). Both follow core
 * (Room.ts `broadcastMessageType`, SchemaSerializer `applyPatches`); a test
 * holds them to what a client receives (server/test/metrics.test.ts).
 */

/** A patch goes to every joined client (a room with inputs sends a heartbeat when nothing changed). */
export function patchRecipients(clients: readonly Client[]): number {
  let joined = 0;
  for (let i = 0; i < clients.length; i++) if (clients[i].state === ClientState.JOINED) joined++;
  return joined;
}

/** A broadcast goes to every client but the excepted: now if joined, or queued until it is. */
export function broadcastRecipients(clients: readonly Client[], except: Client | Client[] | undefined): number {
  if (except === undefined) return clients.length;
  const excepted = Array.isArray(except) ? except : [except];
  let recipients = 0;
  for (let i = 0; i < clients.length; i++) if (!excepted.includes(clients[i])) recipients++;
  return recipients;
}
