/**
 * The lint toolchain, re-exported for the root eslint.config.js.
 *
 * These packages live in lint/node_modules, installed on their own
 * (`npm ci --prefix lint`, run by the root's postinstall), next to
 * TypeScript 5. Everything in that tree, typescript-eslint's parser and its
 * helper ts-api-utils included, then resolves `typescript` to 5, which has
 * the JavaScript API that type-aware rules need; the root keeps TypeScript 7
 * (the native build, no JavaScript API) for `tsc`. As an npm workspace this
 * would not hold: npm hoists ts-api-utils to the root, where its
 * `require("typescript")` finds 7 and fails at load.
 */
export { default as js } from "@eslint/js";
export { defineConfig, globalIgnores } from "eslint/config";
export { default as globals } from "globals";
export { default as tseslint } from "typescript-eslint";
