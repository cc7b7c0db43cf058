import { nextRandom, sanitizeInput, type InputFrame } from "@arena/shared";

/** Bots that play like people: run in a direction for a while, sweep their aim, fire often. */
export function botInputs(seed: number, players: number): (tick: number) => InputFrame[] {
  let rng = seed;
  const rand = () => {
    const [n, v] = nextRandom(rng);
    rng = n;
    return v;
  };
  const bots = Array.from({ length: players }, () => ({ moveX: 0, moveY: 0, aim: rand() * 6.28, turn: 0 }));
  return (tick) =>
    bots.map((bot) => {
      if (tick % 30 === 0 || rand() < 0.02) {
        const a = rand() * Math.PI * 2;
        bot.moveX = Math.cos(a);
        bot.moveY = Math.sin(a);
        bot.turn = (rand() - 0.5) * 0.3;
      }
      bot.aim += bot.turn;
      return sanitizeInput({ moveX: bot.moveX, moveY: bot.moveY, aim: bot.aim, fire: rand() < 0.3 });
    });
}
