// Bundles the front end for anywidget: one self-contained ESM file (the core) and one CSS
// file, the loader every widget carries instead of them (loader.js, a few KB), and the
// libraries loaded on first need (math.js: KaTeX; highlight.js: highlight.js; voice.js: the
// audio engine of voice chats; see src/lazy.ts), written into the Python package
// (chatwidget/static/, a build artifact, gitignored). Sizes are printed raw and gzipped; the
// core must stay small (CORE_GZIP_LIMIT).
//   node build.mjs            one minified build
//   node build.mjs --watch    rebuild on change (unminified, with inline source maps)
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { dirname, join, relative } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "chatwidget", "static");
const watch = process.argv.includes("--watch");
/** The core bundle's budget, gzipped: what every chat costs before any message needs more. */
const CORE_GZIP_LIMIT = 110 * 1024;
/** The loader's budget, gzipped: every chat's widget state and saved notebook carry it. */
const LOADER_GZIP_LIMIT = 4 * 1024;

const common = {
  bundle: true,
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  target: "es2020",
  logLevel: "warning",
  legalComments: "eof",
};

const builds = [
  {
    ...common,
    entryPoints: [join(here, "src", "index.ts")],
    outfile: join(outdir, "chatwidget.js"),
    format: "esm",
    platform: "browser",
    // Nothing may stay external: anywidget loads the module from a string.
    external: [],
    define: { "process.env.NODE_ENV": '"production"' },
    loader: { ".html": "text" },
  },
  {
    // What every chat's widget state carries: it finds the bundle once per page (src/loader.ts).
    ...common,
    entryPoints: [join(here, "src", "loader.ts")],
    outfile: join(outdir, "loader.js"),
    format: "esm",
    platform: "browser",
    external: [],
  },
  ...["math", "highlight", "voice"].map((name) => ({
    ...common,
    entryPoints: [join(here, "src", "libs", `${name}-lib.ts`)],
    outfile: join(outdir, `${name}.js`),
    format: "esm",
    platform: "browser",
    external: [],
  })),
  {
    ...common,
    entryPoints: [join(here, "src", "styles.css")],
    outfile: join(outdir, "chatwidget.css"),
  },
];

function report(b) {
  const bytes = readFileSync(b.outfile);
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.log(`${relative(process.cwd(), b.outfile)}  ${(bytes.length / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzip`);
  return gz;
}

// The sandboxed frame's document, also served by the server for pages whose CSP forbids
// inline frames (the share page).
const frameDoc = [join(here, "src", "views", "frame.html"), join(outdir, "frame.html")];
mkdirSync(outdir, { recursive: true });
copyFileSync(...frameDoc);

if (watch) {
  for (const b of builds) {
    const ctx = await esbuild.context({
      ...b,
      plugins: [{ name: "report", setup(build) { build.onEnd((r) => { if (!r.errors.length) report(b); }); } }],
    });
    await ctx.watch();
  }
  console.log("watching…");
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  const [core, loader] = builds.map(report);
  if (loader > LOADER_GZIP_LIMIT) {
    console.error(`the loader is ${(loader / 1024).toFixed(1)} KiB gzip, over its ${LOADER_GZIP_LIMIT / 1024} KiB budget`);
    process.exit(1);
  }
  if (core > CORE_GZIP_LIMIT) {
    console.error(`the core bundle is ${(core / 1024).toFixed(1)} KiB gzip, over its ${CORE_GZIP_LIMIT / 1024} KiB budget`);
    process.exit(1);
  }
}
