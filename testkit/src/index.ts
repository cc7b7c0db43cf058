export * from "./waitFor.ts";
export * from "./freePort.ts";
export * from "./http.ts";
export * from "./spawnListening.ts";
export * from "./arenaServer.ts";
export * from "./TcpProxy.ts";
export * from "./redis.ts";
export * from "./OwnRedis.ts";
