/**
 * Bots for @colyseus/loadtest: `npm run loadtest -- --numClients 50 [--endpoint ws://localhost:2567] [--delay 20]`.
 * The package's own binary is deprecated, so this script is run (with tsx)
 * and hands each bot to `cli`, which awaits `main()` before starting the
 * next: `main()` returns once its bot has joined. Raise the server's rate
 * limits for many bots from one address (RATE_JOINS_PER_MINUTE,
 * RATE_CONNECTIONS_PER_MINUTE, RATE_CREATES_PER_MINUTE, MAX_SOCKETS_PER_ADDRESS).
 */
import { cli, type Options } from "@colyseus/loadtest";
import { Bot } from "./Bot.ts";

cli(async (options: Options) => {
  const endpoint = options.endpoint.replace(/^ws/, "http");
  const bot = new Bot({ endpoint, name: `bot ${options.clientId}`, leaveRate: 1 / 120, dropRate: 1 / 90 });
  await bot.join();
  bot.start();
});
