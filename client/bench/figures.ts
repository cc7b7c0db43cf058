/**
 * Figures for the browser client's netcode (not a test): two Chromium pages
 * against a server that adds 100 ms of round trip (COLYSEUS_LATENCY), one
 * running about with the keyboard for 30 s while the other watches. With
 * `--profile NAME` (lan, broadband, wifi, mobile, intercontinental:
 * testkit/src/linkProfiles.ts) the pages reach the server through a proxy
 * with that link instead, and the server adds nothing.
 * Prints the input-to-screen delay, the corrections per minute and their
 * median size while moving, and the interpolation delay of remote players.
 *
 *   npm run figures -w client [-- --profile mobile]   (builds nothing: run `npm run build -w client` first)
 */
import { parseArgs } from "node:util";
import { LINK_PROFILES, isLinkProfileName, median, spawnServer, TcpProxy, type LinkProfile } from "@arena/testkit";
import { arena, launch, openPlayer, quickPlay } from "../test/helpers/browser.ts";

const MOVING_S = 30;
const { values } = parseArgs({ options: { profile: { type: "string" } }, strict: true });
if (values.profile !== undefined && !isLinkProfileName(values.profile)) {
  console.error(`--profile: no link profile "${values.profile}"; the profiles are ${Object.keys(LINK_PROFILES).join(", ")}`);
  process.exit(2);
}
const link: LinkProfile | undefined = values.profile === undefined ? undefined : LINK_PROFILES[values.profile];
const ROUND_TRIP_MS = link?.roundTripMs ?? 100;
const LINK =
  link === undefined
    ? `${ROUND_TRIP_MS} ms simulated round trip`
    : `the ${link.name} link (${link.roundTripMs} ms round trip, ${link.jitterMs} ms jitter${link.stalls ? ", stalls" : ""})`;

const server = await spawnServer({ ...(link === undefined ? { COLYSEUS_LATENCY: String(ROUND_TRIP_MS) } : {}), ENABLE_TEST_HOOKS: "1" });
const proxy = link === undefined ? undefined : await TcpProxy.start(server.port, { link });
const endpoint = proxy?.endpoint ?? server.endpoint;
const browser = await launch();
try {
  const runner = await openPlayer(browser, `${endpoint}/`);
  const watcher = await openPlayer(browser, `${endpoint}/`);
  await quickPlay(runner, "Runner");
  await quickPlay(watcher, "Watcher");
  await runner.evaluate(() => (window as any).__arena.place(800, 130));
  await new Promise((r) => setTimeout(r, 1000));

  // Input to screen: separate presses, each measured in the page.
  const presses: number[] = [];
  for (const key of ["ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "ArrowRight", "ArrowLeft", "ArrowRight", "ArrowLeft"]) {
    await runner.keyboard.down(key);
    await new Promise((r) => setTimeout(r, 250));
    presses.push(await arena(runner, (w) => w.inputToScreenFrames));
    await runner.keyboard.up(key);
    await new Promise((r) => setTimeout(r, 250));
  }
  const framesBefore = await arena(runner, (w) => w.frames);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  const fps = ((await arena(runner, (w) => w.frames)) - framesBefore) / ((Date.now() - t0) / 1000);

  // Running about: a new direction every half second.
  const correctionsBefore = (await arena(runner, (w) => w.corrections)).length;
  const keys = [["ArrowRight"], ["ArrowDown"], ["ArrowLeft"], ["ArrowUp"], ["ArrowRight", "ArrowDown"], ["ArrowLeft", "ArrowUp"]];
  const delays: number[] = [];
  const buffers: number[] = [];
  const started = Date.now();
  for (let i = 0; Date.now() - started < MOVING_S * 1000; i++) {
    const held = keys[i % keys.length];
    for (const k of held) await runner.keyboard.down(k);
    await new Promise((r) => setTimeout(r, 500));
    for (const k of held) await runner.keyboard.up(k);
    delays.push(await arena(watcher, (w) => w.remoteDelayMs));
    buffers.push(await arena(watcher, (w) => w.interpolationDelayMs));
  }
  const movedS = (Date.now() - started) / 1000;
  const corrections = (await arena(runner, (w) => w.corrections)).slice(correctionsBefore).sort((a: number, b: number) => a - b);
  const ping = await arena(runner, (w) => w.pingMs ?? NaN);
  const inputRoundTrip = await arena(runner, (w) => w.inputRoundTripMs);

  console.log(
    `# Client netcode figures, ${LINK} (measured ping ${ping.toFixed(0)} ms; input round trip ${inputRoundTrip.toFixed(0)} ms, incl. tick and patch waits)\n`,
  );
  console.log("| figure | value |");
  console.log("|---|---|");
  console.log(`| display rate (headless Chromium, software WebGL, two pages) | ${fps.toFixed(0)} fps |`);
  console.log(`| input-to-screen delay, local player (${presses.length} presses) | median ${median(presses)} frame(s), max ${Math.max(...presses)} |`);
  console.log(`| corrections while moving | ${corrections.length} in ${movedS.toFixed(0)} s (${(corrections.length / (movedS / 60)).toFixed(1)} per minute) |`);
  console.log(
    `| correction size | median ${corrections.length ? median(corrections).toFixed(2) : 0} px, max ${corrections.length ? corrections.at(-1).toFixed(2) : 0} px |`,
  );
  console.log(
    `| remote players drawn behind the server's present, by the page's estimate of server time | median ${median(delays).toFixed(0)} ms (interpolation delay median ${median(buffers).toFixed(0)} ms, adaptive) |`,
  );
} finally {
  await browser.close();
  await proxy?.stop();
  await server.stop();
}
