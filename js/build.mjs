// Bundles the front end for anywidget: one self-contained ESM file and one CSS file,
// written into the Python package (chatwidget/static/, a build artifact, gitignored).
//   node build.mjs            one minified build
//   node build.mjs --watch    rebuild on change (unminified, with inline source maps)
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, relative } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "chatwidget", "static");
const watch = process.argv.includes("--watch");

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
    ...common,
    entryPoints: [join(here, "src", "styles.css")],
    outfile: join(outdir, "chatwidget.css"),
  },
];

function report(b) {
  const size = statSync(b.outfile).size;
  console.log(`${relative(process.cwd(), b.outfile)}  ${(size / 1024).toFixed(1)} KiB`);
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
  builds.forEach(report);
}
