import type { KillEvent, PickupEvent, ShotEvent, SimEvent } from "../sim/types.ts";
import { Kill, PickupTaken, Shot, type ArenaState } from "./ArenaState.ts";

/** The simulation events that ride inside the state patch; round_start and round_end stay messages. */
export type PatchEvent = ShotEvent | KillEvent | PickupEvent;

export function isPatchEvent(event: SimEvent): event is PatchEvent {
  return event.type === "shot" || event.type === "kill" || event.type === "pickup";
}

/** Server: adds an event to the state's lists; the next patch carries it. */
export function recordEvent(state: ArenaState, event: PatchEvent): void {
  switch (event.type) {
    case "shot":
      state.shots.push(
        new Shot().assign({
          shooter: event.shooter,
          x1: event.x1,
          y1: event.y1,
          x2: event.x2,
          y2: event.y2,
          target: event.target ?? "",
        }),
      );
      return;
    case "kill":
      state.kills.push(new Kill().assign({ killer: event.killer, victim: event.victim }));
      return;
    case "pickup":
      state.pickupsTaken.push(new PickupTaken().assign({ player: event.player, index: event.index }));
  }
}

/**
 * Server, after every patch: empties the lists. Emptying is itself a change,
 * so the next patch tells clients; a list already empty costs nothing.
 */
export function clearEvents(state: ArenaState): void {
  if (state.shots.length > 0) state.shots.clear();
  if (state.kills.length > 0) state.kills.clear();
  if (state.pickupsTaken.length > 0) state.pickupsTaken.clear();
}

/**
 * Client, after each patch is applied: the events the patch carried (those of
 * its interval), shots before kills so a kill follows the shot that made it.
 * Not on the first state a client receives: that full state can hold the
 * current interval's events, which the next patch carries again.
 */
export function forEachPatchEvent(state: ArenaState, visit: (event: PatchEvent) => void): void {
  state.shots.forEach((s) =>
    visit({
      type: "shot",
      shooter: s.shooter,
      x1: s.x1,
      y1: s.y1,
      x2: s.x2,
      y2: s.y2,
      target: s.target === "" ? null : s.target,
    }),
  );
  state.kills.forEach((k) => visit({ type: "kill", killer: k.killer, victim: k.victim }));
  state.pickupsTaken.forEach((p) => visit({ type: "pickup", player: p.player, index: p.index }));
}
