// KaTeX: a library of its own (chatwidget/static/math.js), loaded the first time a message
// shows math. MathML output only (no KaTeX CSS or fonts needed), with untrusted input:
// `trust` off, errors shown in place, a cache because a streaming tail is re-rendered often.
import katex from "katex";

const cache = new Map<string, string>();
const CACHE_LIMIT = 500;

export function renderTex(tex: string, display: boolean): string {
  const key = (display ? "D" : "I") + tex;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let html: string;
  try {
    html = katex.renderToString(tex, {
      displayMode: display,
      output: "mathml",
      throwOnError: false,
      trust: false,
      strict: "ignore",
      maxSize: 20,
      maxExpand: 500,
    });
  } catch {
    html = "";
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, html);
  return html;
}

