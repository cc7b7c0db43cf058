// The replay check's worker when the server runs from its sources under tsx
// (`npm run dev`, the tests): tsx's loader does not reach worker threads
// (tsx issue #354), so the worker registers it, then loads decodeWorker.ts.
// The built server (server/dist) runs decodeWorker.js instead.
import { register } from "tsx/esm/api";

register();
await import("./decodeWorker.ts");
