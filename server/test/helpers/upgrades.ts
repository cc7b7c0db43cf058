import { WebSocket } from "ws";

/** The HTTP status a WebSocket upgrade to `url` is answered with (101: opened, then closed at once), sent with `origin` if given. */
export function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise<number>((resolve) => {
    const socket = new WebSocket(url, origin === undefined ? {} : { origin });
    socket.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("open", () => {
      resolve(101);
      socket.terminate();
    });
    socket.on("error", () => resolve(-1));
    socket.on("close", () => resolve(-2));
  });
}
