import { request, type IncomingHttpHeaders } from "node:http";

/**
 * A GET with the path exactly as written (fetch would normalise `..` and
 * friends) and the body exactly as sent (fetch would unzip a gzip-encoded
 * one): what the replay routes' tests need to see.
 */
export function rawGet(endpoint: string, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    request({ host: hostname, port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}
