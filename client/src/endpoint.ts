/**
 * Which game server the client talks to: `?server=` in the page URL, else
 * VITE_SERVER_URL at build time, else (in the dev server) a local game
 * server, else the server that served the page.
 */
export function serverEndpoint(location: Location = window.location): string {
  const fromQuery = new URLSearchParams(location.search).get("server");
  if (fromQuery) return fromQuery;
  const fromBuild = import.meta.env.VITE_SERVER_URL as string | undefined;
  if (fromBuild) return fromBuild;
  if (import.meta.env.DEV) return `${location.protocol}//${location.hostname}:2567`;
  return location.origin;
}

/** An invite link for a join code: this page with `?code=`, never a token. */
export function inviteLink(code: string, location: Location = window.location): string {
  const url = new URL(location.href);
  url.search = "";
  url.hash = "";
  url.searchParams.set("code", code);
  const server = new URLSearchParams(location.search).get("server");
  if (server) url.searchParams.set("server", server);
  return url.toString();
}

/**
 * This page's address watching `roomId` (`?watch=`, a link anyone can open
 * to watch that public room), or with no `watch` at all (undefined); the
 * `server` parameter is kept either way.
 */
export function watchLink(roomId: string | undefined, location: Location = window.location): string {
  const url = new URL(location.href);
  url.searchParams.delete("watch");
  if (roomId !== undefined) url.searchParams.set("watch", roomId);
  return url.toString();
}

/**
 * Whether a `?watch=` value can be a room id (Colyseus's are 9 characters of
 * [A-Za-z0-9_-]; any length up to 64 is let through to the server, which
 * knows its own rooms): anything else is a broken link, told as such without
 * asking the server.
 */
export function isWatchableRoomId(roomId: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(roomId);
}
