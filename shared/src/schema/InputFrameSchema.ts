import { schema, t } from "@colyseus/schema";

/**
 * One input frame on the wire (Colyseus `defineInput`). Flat primitives only.
 * Sticks and aim are float32: the client sends `Math.fround` values and the
 * server sanitises to the same, so the predictor steps with what the server
 * steps with.
 */
export const InputFrameSchema = schema(
  {
    moveX: t.float32().default(0),
    moveY: t.float32().default(0),
    aim: t.float32().default(0),
    fire: t.boolean().default(false),
  },
  "InputFrame",
);
export type InputFrameSchema = InstanceType<typeof InputFrameSchema>;
