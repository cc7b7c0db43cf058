import { defineConfig } from "vite";

// `npm run build -w client` writes client/dist, which the game server serves at /.
// `npm run dev -w client` serves with hot reload on :5173 against a running server
// (http://localhost:2567 unless VITE_SERVER_URL or ?server= says otherwise).
export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Phaser alone is about 1.4 MB (360 kB gzipped); splitting it buys nothing here.
    chunkSizeWarningLimit: 2500,
  },
  server: { port: 5173 },
});
