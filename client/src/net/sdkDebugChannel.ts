/** The global the SDK publishes joined rooms on (sdk/src/debug-channel.ts). */
const CHANNEL = "__colyseusDebug";

/**
 * Keeps the SDK from leaving rooms on `window`. The Colyseus SDK hands every
 * room it joins to `globalThis.__colyseusDebug`, for its debug overlay; with
 * no overlay loaded it makes that a buffer of weak references to the rooms,
 * and a live room there gives any script on the page its reconnection token
 * (`__colyseusDebug.__buffer[i][1].deref().reconnectionToken`). Called before
 * the first join, this puts a channel there that keeps nothing. It has an
 * (always empty) `__buffer` because the SDK reads a channel without one as the
 * overlay being loaded, and then turns on the overlay's bookkeeping. The
 * overlay, if a developer loads it, still replaces it.
 */
export function silenceSdkDebugChannel(global: object = globalThis): void {
  const current = (global as Record<string, { __buffer?: unknown } | undefined>)[CHANNEL];
  // The overlay itself (no buffer): a developer asked for it.
  if (current !== undefined && current.__buffer === undefined) return;
  Object.defineProperty(global, CHANNEL, {
    value: Object.freeze({ __buffer: Object.freeze([]), publish() {} }),
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
