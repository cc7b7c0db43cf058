/** A short synthesised shot sound (no audio files), played the moment the local player fires. */
export class ShotSound {
  #context: AudioContext | undefined;

  play(): void {
    try {
      this.#context ??= new AudioContext();
      const ctx = this.#context;
      if (ctx.state === "suspended") void ctx.resume();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.setValueAtTime(520, ctx.currentTime);
      osc.frequency.exponentialRampToValueAtTime(90, ctx.currentTime + 0.08);
      gain.gain.setValueAtTime(0.05, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.09);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.1);
    } catch {
      // No audio (autoplay policy, headless): the muzzle flash is the feedback.
    }
  }
}
