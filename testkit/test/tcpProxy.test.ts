import { once } from "node:events";
import { connect, createServer, type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { TcpProxy } from "../src/TcpProxy.ts";
import { waitFor } from "../src/waitFor.ts";

describe("TcpProxy", () => {
  const echo = createServer((socket) => socket.pipe(socket));
  let proxy: TcpProxy;
  before(async () => {
    echo.listen(0, "127.0.0.1");
    await once(echo, "listening");
    proxy = await TcpProxy.start((echo.address() as AddressInfo).port);
  });
  after(async () => {
    await proxy.stop();
    echo.close();
  });

  /** Opens a connection through the proxy; what came back so far, and whether it closed. */
  async function open() {
    const socket = connect(proxy.port, "127.0.0.1");
    const seen = { data: "", closed: false };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      seen.data += chunk;
    });
    socket.on("close", () => {
      seen.closed = true;
    });
    socket.on("error", () => {});
    await once(socket, "connect");
    return { socket, seen };
  }

  it("forwards both ways, drops every connection when cut, and forwards again once restored", async () => {
    const first = await open();
    first.socket.write("ping");
    await waitFor("the echo", () => first.seen.data === "ping");
    proxy.cut();
    await waitFor("the connection dropped", () => first.seen.closed);
    const refused = await open();
    await waitFor("a new connection dropped", () => refused.seen.closed);
    proxy.restore();
    const again = await open();
    again.socket.write("pong");
    await waitFor("the echo again", () => again.seen.data === "pong");
    again.socket.destroy();
  });
});
