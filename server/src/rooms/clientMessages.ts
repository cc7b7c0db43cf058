import { z } from "zod";
import type { ClientMessages } from "@arena/shared";

/**
 * The schema of each message a client may send (shared `ClientMessages`):
 * a room handler gets `unknown` from Colyseus and reads it only through
 * these. A message that does not match is answered with `bad_message` and
 * the player stays (Colyseus's own `validate()` would close the socket with
 * 4002). Unknown keys are dropped, not refused, as clients may add some.
 */
export const clientMessages = {
  chat: z.object({ text: z.string() }),
} satisfies { [K in keyof ClientMessages]: z.ZodType<ClientMessages[K]> };
