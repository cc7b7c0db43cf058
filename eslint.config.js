// @ts-check
/**
 * ESLint for the whole repository: `npm run lint`.
 *
 * typescript-eslint's type-aware rules run on TypeScript 5 from lint/ (see
 * lint/index.js for why); `tsc` stays on TypeScript 7. The parser reads the
 * root tsconfig.json through the project service, so lint sees the same
 * program as the type-check.
 */
import { defineConfig, globalIgnores, globals, js, tseslint } from "./lint/index.js";

/** The npm workspaces, and the other top-level folders with code. */
const WORKSPACES = ["shared", "server", "client", "loadtest", "testkit"];
const TOP_LEVEL = [...WORKSPACES, "lint", "scripts", "ops"];

/**
 * Workspaces meet only through their packages (STYLE.md, rule 14): a relative
 * import that climbs out of its workspace into a top-level folder is refused.
 * (`../` runs up to the root, then a top-level folder's name.)
 */
const leavesWorkspace = {
  regex: `^(\\.\\./)+(${TOP_LEVEL.join("|")})(/|$)`,
  message: "Leaves its workspace: import the other workspace's package (@arena/shared, @arena/testkit, ...) instead.",
};

/** The same for `import("...")`, which no-restricted-imports does not see. */
const dynamicImportLeavesWorkspace = {
  selector: `ImportExpression > Literal[value=/^(\\.\\.\\/)+(${TOP_LEVEL.join("|")})(\\/|$)/]`,
  message: leavesWorkspace.message,
};

/** What the simulation may import: its own folder, and the shared constants, arena and modes. */
const outsideSimulation = {
  regex: "^(?!\\./|\\.\\./(constants|arena|modes)\\.ts$)",
  message: "shared/src/sim is pure: it imports only its own modules and ../constants.ts, ../arena.ts, ../modes.ts.",
};

/**
 * Math functions whose results are not specified to the last bit, so they may
 * differ between engines and break client prediction (STYLE.md, rule 2).
 * `+ - * /`, Math.sqrt, Math.round, Math.floor, Math.abs, Math.min/max are exact.
 */
const INEXACT_MATH = "sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10 pow hypot cbrt".split(" ");

export default defineConfig(
  globalIgnores(["**/dist/", ".bench/", "lint/node_modules/", "reports/"]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The JavaScript files outside tsconfig.json's `include` get a default project.
        projectService: { allowDefaultProject: ["*.js", "*.cjs", "lint/*.js", "scripts/*.mjs", "ops/nginx/*.mjs", "server/*.mjs", "server/src/replays/*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // A leading _ marks a parameter that a signature requires but the body does not read
      // (Express's four-argument error handler, Colyseus's static onAuth).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      // Off: an `async` function without `await` is deliberate here: it turns a throw into a
      // rejection (test stubs of async APIs) and keeps an async override's shape. The promise
      // mistakes that matter are no-floating-promises' and no-misused-promises'.
      "@typescript-eslint/require-await": "off",
      // A promise nobody awaits loses its rejection: the crash lands elsewhere, or nowhere.
      // node:test's describe/it/test return promises that the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }] },
      ],
    },
  },

  // Tests and benchmarks read untyped data on purpose: HTTP and JSON bodies, Redis payloads,
  // values returned from the browser by page.evaluate, and framework internals reached for a
  // fault. An assertion fails loudly on a wrong shape there, so the no-unsafe-* rules would
  // only ask for casts. They stay on in every src/ folder and in the scripts.
  {
    files: ["**/test/**", "**/bench/**"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },

  // Plain JavaScript: Node's globals (tsc does not check these files; no-undef does).
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    // CommonJS is what PM2 loads its ecosystem file as: require() is the only import there.
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },

  // Workspace boundaries.
  {
    files: WORKSPACES.map((workspace) => `${workspace}/**`),
    rules: {
      "no-restricted-imports": ["error", { patterns: [leavesWorkspace] }],
      "no-restricted-syntax": ["error", dynamicImportLeavesWorkspace],
    },
  },

  // The simulation's purity (STYLE.md, rule 2; shared/test/purity.test.ts checks the same by text).
  {
    files: ["shared/src/sim/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [leavesWorkspace, outsideSimulation] }],
      "no-restricted-globals": [
        "error",
        ...["Date", "performance", "process"].map((name) => ({ name, message: "A clock or host API: the simulation takes time as dt and ticks." })),
        ...["setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate", "queueMicrotask"].map((name) => ({
          name,
          message: "A timer: the simulation is stepped by its caller, never schedules itself.",
        })),
        ...["globalThis", "window", "self", "document", "navigator", "crypto", "require"].map((name) => ({
          name,
          message: "A host global: the simulation runs the same in Node and in the browser.",
        })),
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Use the world's seeded generator (sim/rng.ts)." },
        ...INEXACT_MATH.map((property) => ({
          object: "Math",
          property,
          message: "Not identical across engines: use sim/trig.ts or + - * / and Math.sqrt.",
        })),
      ],
      "no-restricted-syntax": [
        "error",
        dynamicImportLeavesWorkspace,
        { selector: "BinaryExpression[operator='**'], AssignmentExpression[operator='**=']", message: "** is Math.pow: not identical across engines." },
        { selector: "ImportExpression", message: "shared/src/sim is pure: no dynamic import." },
      ],
    },
  },
);
