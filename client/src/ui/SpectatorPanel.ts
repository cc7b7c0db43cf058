import type { PlayerView } from "../net/GameSession.ts";
import type { CameraView } from "../game/SpectatorCamera.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What the spectator's keys do. */
export interface SpectatorActions {
  /** Follow the next (1) or previous (-1) player. */
  cycle(step: 1 | -1): void;
  /** Zoom in (1) or out (-1). */
  zoom(step: 1 | -1): void;
}

/** Keys that cycle the followed player: Tab and ] forward, Shift+Tab and [ back. */
function cycleStep(event: KeyboardEvent): 1 | -1 | 0 {
  if (event.key === "Tab") return event.shiftKey ? -1 : 1;
  if (event.key === "]") return 1;
  if (event.key === "[") return -1;
  return 0;
}

/** Keys that zoom: + (or =, the same key unshifted) in, - out. */
function zoomStep(event: KeyboardEvent): 1 | -1 | 0 {
  if (event.key === "+" || event.key === "=") return 1;
  if (event.key === "-" || event.key === "_") return -1;
  return 0;
}

/**
 * A spectator's panel beside the arena: "Watching", who is followed, the
 * live scores, and the keys. (How many watch is in the room listings, not in
 * the match's state: the panel does not show it.) Its keys
 * work while it shows and nobody is typing; while watching, Tab cycles
 * players instead of moving the page's focus (Leave stays a click away).
 */
export class SpectatorPanel {
  readonly #root = $<HTMLElement>("spectator");
  #lastScores = "";

  constructor(actions: SpectatorActions) {
    document.addEventListener("keydown", (event) => {
      if (this.#root.hidden || event.altKey || event.ctrlKey || event.metaKey) return;
      const target = event.target;
      if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
      const cycle = cycleStep(event);
      const zoom = zoomStep(event);
      if (cycle !== 0) actions.cycle(cycle);
      else if (zoom !== 0) actions.zoom(zoom);
      else return;
      event.preventDefault();
    });
  }

  setShown(shown: boolean): void {
    this.#root.hidden = !shown;
    if (!shown) {
      this.#lastScores = "";
      $("spectator-scores").replaceChildren();
    }
  }

  /** One frame: who is followed, and the scores (redrawn only when they change). */
  render(camera: CameraView, players: readonly PlayerView[]): void {
    $("spectator-followed").textContent = camera.followedName ?? "nobody (free camera)";
    const ranked = [...players].sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
    const key = ranked.map((p) => `${p.id}:${p.score}:${p.connected ? 1 : 0}:${p.id === camera.followedId ? 1 : 0}`).join(",");
    if (key === this.#lastScores) return;
    this.#lastScores = key;
    $("spectator-scores").replaceChildren(
      ...ranked.map((p) => {
        const line = document.createElement("li");
        // Names are players' text: set as text, never as HTML.
        line.textContent = `${p.name}${p.connected ? "" : " (reconnecting)"}: ${p.score}`;
        if (p.id === camera.followedId) line.className = "followed";
        return line;
      }),
    );
  }
}
