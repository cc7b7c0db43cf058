#!/usr/bin/env node
/**
 * `npm run build -w server`: the server as `npm start` and PM2 run it, one
 * ES module bundle at server/dist/main.js with its source map (run it with
 * `node --enable-source-maps`, so stack traces name the .ts lines), and the
 * replay check's worker beside it (decodeWorker.js, ReplayVerifier.ts).
 *
 * Why a bundle and not `tsc` output: `@arena/shared` exports its .ts sources
 * (tsx, Vite and the tests read them as they are), which Node cannot load
 * from node_modules. The bundle takes the project's own code (server/src and
 * @arena/shared) in; every other package stays an import, resolved from
 * node_modules at run time as under tsx. esbuild is the compiler tsx runs, so
 * the bundle's JavaScript is the one tsx would have made.
 *
 * server/dist/ is as deep in the tree as server/src/, so what the code finds
 * through import.meta.url (the client build, `../../client/dist/`) is the
 * same folder from either.
 */
import { build } from "esbuild";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const serverDir = fileURLToPath(new URL(".", import.meta.url));
const outDir = join(serverDir, "dist");

/** Packages of this repository's workspaces, bundled from their sources. */
const WORKSPACE_SCOPE = "@arena/";

const result = await build({
  // The comments naming each module's path, from the checkout's root wherever the build runs (npm -w runs it in server/).
  absWorkingDir: join(serverDir, ".."),
  // The server, and the replay check's worker (ReplayVerifier.ts), which runs in a thread of its own.
  entryPoints: { main: join(serverDir, "src/main.ts"), decodeWorker: join(serverDir, "src/replays/decodeWorker.ts") },
  outdir: outDir,
  bundle: true,
  platform: "node",
  format: "esm",
  // package.json engines: the oldest Node the server supports.
  target: "node20.19",
  sourcemap: true,
  // The map names the .ts files, which sit beside dist/ in the checkout: a third of the size to parse at boot.
  sourcesContent: false,
  // Class and function names as written: they show in stack traces and logs.
  keepNames: true,
  write: false,
  logLevel: "warning",
  plugins: [
    {
      name: "packages-stay-in-node-modules",
      setup(builder) {
        // A bare specifier (`ws`, `@colyseus/core`, `node:fs`) is a package: left as an
        // import, so Colyseus's module singletons and `ws` are the ones node_modules holds.
        // External imports are hoisted above the bundled code, so webSocketGlobal.ts's
        // assignment now runs after @colyseus/core has loaded, not before: harmless, as
        // core reads the WebSocket global only when a player rejoins (Room.mjs).
        builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith(WORKSPACE_SCOPE) ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});

// Each file is written next to its final name, then renamed over it: a server
// starting from dist/ meanwhile (a test, PM2) reads the old file or the new one,
// never half of one.
mkdirSync(outDir, { recursive: true });
for (const file of result.outputFiles) {
  const partial = join(outDir, `.${basename(file.path)}.${process.pid}`);
  writeFileSync(partial, file.contents);
  renameSync(partial, file.path);
}
