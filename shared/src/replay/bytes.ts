/**
 * The replay format's bytes: a growable little-endian writer, and a reader
 * that checks every read against the bytes left and throws ReplayFormatError
 * naming what it was reading and at which byte offset.
 */

/** A replay that cannot be read: what is wrong, and where (the message names the byte offset). */
export class ReplayFormatError extends Error {
  override readonly name = "ReplayFormatError";
}

const utf8Encoder = new TextEncoder();
/** `fatal`: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. */
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Bytes appended at the end of a buffer that doubles when full: no allocation per write once grown. */
export class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  /** Bytes written. */
  length = 0;

  /** `initialBytes`: small, as every match holds one from its start (it doubles as it fills). */
  constructor(initialBytes = 4096) {
    this.#bytes = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#bytes.buffer);
  }

  #room(bytes: number): void {
    const need = this.length + bytes;
    if (need <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.#room(1);
    this.#bytes[this.length++] = value;
  }

  /** Overwrites one byte already written (a count known only once its items are written). */
  patchU8(offset: number, value: number): void {
    this.#bytes[offset] = value;
  }

  /** ORs bits into a byte already written. */
  orU8(offset: number, bits: number): void {
    this.#bytes[offset] |= bits;
  }

  u32(value: number): void {
    this.#room(4);
    this.#view.setUint32(this.length, value, true);
    this.length += 4;
  }

  /** Unsigned LEB128, up to 2^32 - 1. */
  varint(value: number): void {
    this.#room(5);
    let rest = value >>> 0;
    while (rest >= 0x80) {
      this.#bytes[this.length++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.#bytes[this.length++] = rest;
  }

  f32(value: number): void {
    this.#room(4);
    this.#view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.#room(8);
    this.#view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** Raw bytes. */
  bytes(value: Uint8Array): void {
    this.#room(value.length);
    this.#bytes.set(value, this.length);
    this.length += value.length;
  }

  /** A varint byte length, then the UTF-8 bytes. */
  string(value: string): void {
    this.varint(utf8Length(value));
    const at = this.length;
    this.#room(value.length * 3);
    this.length += utf8Encoder.encodeInto(value, this.#bytes.subarray(at)).written;
  }

  /** Forgets everything written from `length` on. */
  truncate(length: number): void {
    this.length = length;
  }

  /** A view of the bytes written (valid until the next write). */
  view(from = 0): Uint8Array {
    return this.#bytes.subarray(from, this.length);
  }
}

/** UTF-8 length of a string. */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Reads a byte range; every read past its end, or of a malformed value, throws ReplayFormatError. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #end: number;
  offset: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
    this.#end = end;
  }

  get left(): number {
    return this.#end - this.offset;
  }

  fail(what: string, at = this.offset): never {
    throw new ReplayFormatError(`${what} at byte ${at}`);
  }

  #need(bytes: number, what: string): number {
    if (this.#end - this.offset < bytes) this.fail(`truncated: ${what} needs ${bytes} bytes, ${Math.max(0, this.#end - this.offset)} left`);
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  u8(what: string): number {
    return this.#bytes[this.#need(1, what)];
  }

  u32(what: string): number {
    return this.#view.getUint32(this.#need(4, what), true);
  }

  /** Unsigned LEB128 of at most 5 bytes, at most `max`. */
  varint(what: string, max: number): number {
    const start = this.offset;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (value > max) this.fail(`${what} ${value} is more than ${max}`, start);
        return value;
      }
      scale *= 128;
    }
    return this.fail(`${what}: a varint longer than 5 bytes`, start);
  }

  f32(what: string): number {
    return this.#view.getFloat32(this.#need(4, what), true);
  }

  f64(what: string): number {
    return this.#view.getFloat64(this.#need(8, what), true);
  }

  /** `length` raw bytes (a view, not a copy). */
  bytes(length: number, what: string): Uint8Array {
    const at = this.#need(length, what);
    return this.#bytes.subarray(at, at + length);
  }

  /** A string written by ByteWriter.string: at most `maxBytes` of UTF-8. */
  string(what: string, maxBytes: number): string {
    const start = this.offset;
    const length = this.varint(`${what}'s length`, maxBytes);
    const bytes = this.bytes(length, what);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      return this.fail(`${what} is not UTF-8`, start);
    }
  }
}
