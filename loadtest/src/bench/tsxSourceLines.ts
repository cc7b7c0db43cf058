/**
 * Source lines for the project's TypeScript in a CPU profile. tsx runs each
 * `.ts` file as esbuild's output with whitespace minified, one line per
 * module, so V8's positions are columns of that line. This redoes tsx's
 * transform with the esbuild tsx itself loads and tsx 4's options (checked
 * byte for byte against tsx's cache with tsx 4.23), and reads the source map
 * back. A file whose named functions do not sit where the profile says
 * (another tsx, another transform) gets no line rather than a wrong one.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

interface Esbuild {
  transformSync(code: string, options: Record<string, unknown>): { code: string; map: string };
}

const tsx = createRequire(import.meta.url).resolve("tsx/package.json");
const esbuild = createRequire(tsx)("esbuild") as Esbuild;

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface Transformed {
  code: string;
  /** Per generated line, segments [generated column, source line] (0-based), in column order. */
  lines: [number, number][][];
}

/** Maps callFrames of `.ts` files to `file.ts:line` (1-based); undefined for anything else. */
export function tsxLocator(nodeVersion = process.versions.node): (frame: CallFrame) => number | undefined {
  const files = new Map<string, Transformed | null>();
  const transformed = (url: string): Transformed | null => {
    if (!files.has(url)) {
      try {
        const path = fileURLToPath(url);
        const out = esbuild.transformSync(readFileSync(path, "utf8"), {
          target: `node${nodeVersion}`,
          loader: "ts",
          format: "esm",
          sourcefile: path,
          sourcemap: true,
          sourcesContent: false,
          minifyWhitespace: true,
          keepNames: true,
        });
        files.set(url, { code: out.code, lines: decodeMappings((JSON.parse(out.map) as { mappings: string }).mappings) });
      } catch {
        files.set(url, null);
      }
    }
    return files.get(url)!;
  };
  return (frame) => {
    if (!frame.url.startsWith("file://") || !frame.url.endsWith(".ts") || frame.url.includes("/node_modules/")) return undefined;
    const file = transformed(frame.url);
    if (!file || !nameSitsThere(file.code, frame)) return undefined;
    const segments = file.lines[frame.lineNumber] ?? [];
    let line: number | undefined;
    for (const [column, sourceLine] of segments) {
      if (column > frame.columnNumber) break;
      line = sourceLine;
    }
    return line === undefined ? undefined : line + 1;
  };
}

/**
 * Whether the transform matches what ran: a named function or method starts
 * just after its name (`name(`, `name=(`, `name:__name(`); anonymous ones and
 * class bodies are taken on trust once the file's code is long enough.
 */
function nameSitsThere(code: string, frame: CallFrame): boolean {
  const line = code.split("\n")[frame.lineNumber] ?? "";
  if (frame.columnNumber > line.length) return false;
  const name = frame.functionName.split(".").at(-1)!;
  if (!/^[A-Za-z_$][\w$]*$/.test(name) || /^[A-Z]/.test(name)) return true;
  return line.slice(Math.max(0, frame.columnNumber - name.length - 40), frame.columnNumber + 1).includes(name);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Source map v3 `mappings`: base64 VLQ, `;` between generated lines, `,` between segments, fields relative. */
function decodeMappings(mappings: string): [number, number][][] {
  const lines: [number, number][][] = [];
  let sourceLine = 0;
  for (const text of mappings.split(";")) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of text.split(",").filter(Boolean)) {
      const fields = vlq(segment);
      column += fields[0];
      if (fields.length >= 4) {
        sourceLine += fields[2];
        segments.push([column, sourceLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function vlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
