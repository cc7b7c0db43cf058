import type { ConnectionStatus } from "../net/ArenaConnection.ts";
import type { View } from "../net/GameSession.ts";
import { FeedAndScores } from "./FeedAndScores.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const CHAT_LINES = 8;

/**
 * Everything drawn in HTML during a match: the HUD (ping, tick rate,
 * players, score, round timer), the kill feed, the scoreboard between rounds,
 * the reconnecting overlay, the invite box and the chat. Text from players
 * is only ever set as text, never as HTML.
 */
export class Hud {
  readonly #feedAndScores = new FeedAndScores();

  constructor(actions: { sendChat(text: string): void; leave(): void }) {
    $("leave").addEventListener("click", () => actions.leave());
    const input = $<HTMLInputElement>("chat-input");
    $("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (text) actions.sendChat(text);
      input.value = "";
      input.blur();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !$("chat").hidden && !$("chat-form").hidden && document.activeElement !== input) {
        event.preventDefault();
        input.focus();
      }
    });
    $("invite-close").addEventListener("click", () => {
      $("invite").hidden = true;
    });
    $("invite-copy").addEventListener("click", () => {
      void navigator.clipboard?.writeText($<HTMLAnchorElement>("invite-link").href).catch(() => {});
    });
  }

  /**
   * In a match or not: shows or hides the match's HTML. A spectator's HUD
   * leaves out what only a player has (its score, its input round trip, the
   * chat input); chat from players still shows.
   */
  setInMatch(inMatch: boolean, spectating = false): void {
    for (const id of ["hud", "chat"]) $(id).hidden = !inMatch;
    this.#feedAndScores.setShown(inMatch);
    for (const element of document.querySelectorAll<HTMLElement>("[data-player-only]")) element.hidden = spectating;
    if (!inMatch) {
      $("invite").hidden = true;
      $("reconnecting").hidden = true;
      $("chat-log").replaceChildren();
    }
  }

  setStatus(status: ConnectionStatus): void {
    $("reconnecting").hidden = status !== "reconnecting";
  }

  showInvite(code: string, link: string): void {
    $("invite-code").textContent = code;
    const anchor = $<HTMLAnchorElement>("invite-link");
    anchor.href = link;
    anchor.textContent = link;
    $("invite").hidden = false;
  }

  chat(name: string, text: string): void {
    const log = $<HTMLOListElement>("chat-log");
    const line = document.createElement("li");
    const who = document.createElement("b");
    who.textContent = `${name}: `;
    line.append(who, document.createTextNode(text));
    log.append(line);
    while (log.children.length > CHAT_LINES) log.firstElementChild?.remove();
  }

  notice(text: string): void {
    const log = $<HTMLOListElement>("chat-log");
    const line = document.createElement("li");
    line.textContent = text;
    line.className = "notice";
    log.append(line);
    while (log.children.length > CHAT_LINES) log.firstElementChild?.remove();
  }

  render(view: View): void {
    const { hud } = view;
    $("hud-ping").textContent = hud.pingMs === null ? "–" : String(hud.pingMs);
    $("hud-input").textContent = String(hud.inputMs);
    $("hud-tick").textContent = String(hud.tickRate);
    $("hud-players").textContent = String(hud.players);
    $("hud-score").textContent = String(hud.score);
    $("hud-round").textContent = String(hud.round);
    const m = Math.floor(hud.secondsLeft / 60);
    $("hud-time").textContent = `${m}:${String(hud.secondsLeft % 60).padStart(2, "0")}`;
    this.#feedAndScores.render(view);
    const { killedBy, respawnInS } = view.feedback;
    $("down").hidden = killedBy === undefined;
    if (killedBy !== undefined) {
      $("down-killer").textContent = killedBy;
      $("down-seconds").textContent = String(Math.ceil(respawnInS ?? 0));
    }
  }
}
