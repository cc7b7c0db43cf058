/**
 * The composition root of the browser client: builds the connection, the
 * page, the Phaser game, the input probe and the test surface, wires them
 * together and starts. Everything with state lives in those; nothing here
 * changes after start.
 */
import { ArenaConnection } from "./net/ArenaConnection.ts";
import { silenceSdkDebugChannel } from "./net/sdkDebugChannel.ts";
import { serverHasTestHooks } from "./net/testHooks.ts";
import { createGame } from "./game/ArenaScene.ts";
import { ShotSound } from "./game/sound.ts";
import { serverEndpoint } from "./endpoint.ts";
import { ArenaPage } from "./ArenaPage.ts";
import { InputProbe } from "./InputProbe.ts";
import { installTestSurface } from "./testSurface.ts";
import { ReplayPage } from "./ReplayPage.ts";

// Before the first join: no room (and so no reconnection token) on window.
silenceSdkDebugChannel();
const endpoint = serverEndpoint();
const connection = new ArenaConnection(endpoint);
const page = new ArenaPage(connection, new ShotSound());
// `/?replay=<id>` plays that replay instead of the menu and matches.
const replayId = new URLSearchParams(window.location.search).get("replay");
const replay = replayId === null ? undefined : new ReplayPage(endpoint, replayId);
const probe = new InputProbe();
probe.listen(window);
const { game, scene } = createGame(document.getElementById("game")!, {
  frame(frameMs, controls) {
    if (replay !== undefined) return replay.frame();
    const view = page.frame(frameMs, controls);
    probe.frameDrawn(view?.me);
    return view;
  },
  camera: () => (replay ?? page).camera(),
});

void serverHasTestHooks(endpoint).then((testHooks) => installTestSurface({ connection, page, game, scene, probe, replay }, { testHooks }));
void (replay ?? page).start();
