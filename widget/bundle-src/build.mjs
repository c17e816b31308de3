// Bundles the visitor page's ES modules into widget/static/widget/dist/:
//   visitor-app.js       widget/static/widget/app.js and what it imports: the page, its
//                        strings, the composer (usable as soon as it runs)
//   visitor-protocol.js  protocol.js: the session, return codes, the crypto and the
//                        vendored @hpke/core, imported by the first once it runs
// Two requests instead of thirty (docs/operations.md, "Static files"). Deterministic:
// same sources and lock file, same bytes; each file's first line carries the SHA-256 of
// its sources (tests/widget/test_bundle.py checks it is up to date without node).
// `node build.mjs --outdir DIR` writes elsewhere (the rebuild test).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const { values } = parseArgs({
  options: { outdir: { type: "string", default: join(here, "..", "static", "widget", "dist") } },
});
const outdir = resolve(values.outdir);

// keepNames: the crypto's error classes name themselves from their constructor
// (chat/static/chat/crypto/errors.js); the page's own code needs no names, and on the
// first screen's path every byte counts.
const BUNDLES = {
  "visitor-app.js": { entry: join(root, "widget/static/widget/app.js"), keepNames: false },
  "visitor-protocol.js": { entry: join(here, "protocol.js"), keepNames: true },
  // The chat page's link to the self-help pages, which keeps their offline copy: one
  // file with a hashed name (its import of pages/offline.js could not carry one).
  "visitor-pages-link.js": {
    entry: join(root, "widget/static/widget/pages/chat-link.js"),
    keepNames: false,
  },
  // A classic script (not a module): a Web Worker of any browser can load it.
  "visitor-pow-worker.js": { entry: join(here, "pow-worker.js"), keepNames: false, format: "iife" },
};

/** SHA-256 over the sources, by path from the repository root, sorted. */
function sourcesHash(inputs) {
  const hash = createHash("sha256");
  for (const path of inputs.map((input) => relative(root, resolve(here, input))).sort()) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(root, path)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

// The vendored bundles (chat/vendor-src) whose first line, naming them and their
// licences, a bundle holding them repeats.
const VENDORED = [
  "../../chat/static/chat/vendor/hpke-core.js",
  "../../chat/static/chat/vendor/altcha.js",
];

mkdirSync(outdir, { recursive: true });
for (const [name, { entry, keepNames, format = "esm" }] of Object.entries(BUNDLES)) {
  const result = await build({
    absWorkingDir: here,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format,
    platform: "browser",
    target: "es2020",
    minify: true,
    keepNames,
    legalComments: "inline",
    charset: "utf8",
    // Only reached on Node <= 18, never in a browser (as chat/vendor-src leaves it).
    external: ["crypto"],
    logLevel: "warning",
  });
  const sources = sourcesHash(Object.keys(result.metafile.inputs));
  let banner =
    `// ${name}: the visitor page's modules, bundled by widget/bundle-src (npm ci && npm run build); do not edit.\n` +
    `// sources-sha256 ${sources}\n`;
  for (const vendored of VENDORED.filter((path) => path in result.metafile.inputs)) {
    // The vendored bundle's own first line: what it is and where its licences are.
    const licence = readFileSync(join(here, vendored), "utf8").split("\n")[0];
    banner += `${licence} Served beside it in /static/chat/vendor/.\n`;
  }
  writeFileSync(join(outdir, name), banner + result.outputFiles[0].text);
}
