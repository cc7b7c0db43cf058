/**
 * The client's netcode without Phaser, for programs that play a match as the
 * browser does (the `network` bench): `@arena/client/netcode`.
 */
export { ArenaConnection, type ConnectionOptions } from "./ArenaConnection.ts";
export { GameSession, type Controls, type NetcodeStats, type PlayerView, type SessionOptions, type View } from "./GameSession.ts";
export { MAX_DELAY_MS, MIN_DELAY_MS } from "./InterpolationDelay.ts";
export { SNAP_DISTANCE_PX } from "./PredictedPlayer.ts";
export { TelemetryReporter } from "./TelemetryReporter.ts";
