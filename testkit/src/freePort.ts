import { createServer } from "node:net";

/**
 * A TCP port free on 127.0.0.1 just now (the kernel's pick, released at
 * once), for a process that must be told its port before it starts.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
