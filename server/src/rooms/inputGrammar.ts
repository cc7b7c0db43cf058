/** Bytes after the operation byte, per primitive type the input schema may use. */
const FIXED_SIZE: Readonly<Record<string, number>> = {
  boolean: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
  int64: 8,
  uint64: 8,
};

/** Schema operations (schema `encoding/spec.ts`): a primitive field is written as ADD or REPLACE. */
const OP_ADD = 128;
const OP_REPLACE = 0;
const OP_MASK = 0xc0;
const INDEX_MASK = 0x3f;

/** Checks that `bytes[start..]` is a well-formed body; never throws, never reads past the end. */
export type BodyCheck = (bytes: Uint8Array, start: number) => boolean;

/**
 * The grammar of one input frame's body (`defineInput` over the reliable
 * channel: schema `InputEncoder` in reliable mode), compiled from the input
 * schema: a sequence of `[ADD|REPLACE | fieldIndex][value]`, each field at most
 * once, every value whole, nothing after the last. Colyseus's decoder accepts
 * far more (unknown indexes, which it logs twice each; structure switches),
 * so frames are checked against this before it sees them. Only fixed-size
 * primitive fields are supported: a schema with anything else throws here,
 * at start, rather than letting frames through unchecked.
 */
export function compileInputGrammar(schema: abstract new (...args: never[]) => unknown): BodyCheck {
  // Schema 5 keeps each field's { type, index, name } under its index.
  type Field = { type: unknown; name: string };
  const metadata = (schema as unknown as Record<symbol, Record<string, Field> | undefined>)[Symbol.metadata];
  if (metadata === undefined || metadata === null) throw new Error(`${schema.name} has no schema metadata`);
  const sizes: number[] = [];
  let booleans = 0;
  for (const key of Object.keys(metadata)) {
    const index = Number(key);
    if (!Number.isInteger(index)) continue;
    const { type, name } = metadata[key];
    const size = typeof type === "string" ? FIXED_SIZE[type] : undefined;
    if (size === undefined) throw new Error(`input field ${name}: type ${JSON.stringify(type)} has no fixed size`);
    sizes[index] = size;
    if (type === "boolean") booleans |= 1 << index;
  }
  if (sizes.length > 32) throw new Error("an input frame has at most 32 fields");
  return (bytes, start) => {
    let seen = 0;
    let at = start;
    while (at < bytes.length) {
      const op = bytes[at] & OP_MASK;
      const index = bytes[at] & INDEX_MASK;
      const size = sizes[index];
      if ((op !== OP_ADD && op !== OP_REPLACE) || size === undefined || (seen & (1 << index)) !== 0) return false;
      seen |= 1 << index;
      at += 1 + size;
      // A boolean is 0 or 1 (a byte past the end reads as undefined and fails below).
      if ((booleans & (1 << index)) !== 0 && bytes[at - 1] > 1) return false;
    }
    return at === bytes.length;
  };
}
