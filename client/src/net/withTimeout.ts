import { realClock, type Clock, type Timer } from "@arena/shared";

/** Rejected when an attempt got no answer in time; `isUnreachable` counts it as a network error, so callers retry. */
export class AttemptTimeout extends Error {
  override name = "AttemptTimeout";
}

/** `promise`, or a rejection after `ms` (on `clock`) if it has not settled by then. */
export function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock = realClock): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new AttemptTimeout("no answer in time")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clock.clearTimeout(timer));
}
