import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 in front of a test server, that the test can cut
 * (every connection destroyed, as when a network drops, and new ones
 * refused) or stall (connections stay open but nothing goes through, as on a
 * half-open link), until it is restored.
 */
export class TcpProxy {
  #server: Server;
  #sockets = new Set<Socket>();
  #pairs = new Set<[Socket, Socket]>();
  #mode: "open" | "cut" | "stalled" = "open";
  port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((client) => {
      client.on("error", () => {});
      this.#sockets.add(client);
      client.on("close", () => this.#sockets.delete(client));
      if (this.#mode === "cut") return void client.destroy();
      if (this.#mode === "stalled") return; // accepted, never answered
      const upstream = connect(targetPort, "127.0.0.1");
      upstream.on("error", () => {});
      this.#sockets.add(upstream);
      upstream.on("close", () => this.#sockets.delete(upstream));
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      client.pipe(upstream).pipe(client);
      client.on("close", () => {
        upstream.destroy();
        this.#pairs.delete(pair);
      });
      upstream.on("close", () => client.destroy());
    });
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.#mode = "cut";
    for (const s of this.#sockets) s.destroy();
  }

  /** Stops forwarding anything, without closing: open connections look alive and carry nothing. */
  stall(): void {
    this.#mode = "stalled";
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Back to normal for new connections (stalled ones are dropped: a half-open link never recovers). */
  restore(): void {
    if (this.#mode === "stalled") for (const s of this.#sockets) s.destroy();
    this.#mode = "open";
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
