// A small markdown-it plugin for TeX math: `$…$` and `\(…\)` inline, `$$…$$` and `\[…\]`
// inline display, and `$$` / `\[` blocks (opening line starts with the delimiter, closing
// line ends with `$$` / `\]`). Rendered by KaTeX (libs/math-lib.ts, loaded on first need).
import { library } from "./lazy";
import type { MarkdownIt, StateBlock, StateInline } from "markdown-it";

const DOLLAR = 0x24;
const BACKSLASH = 0x5c;
/** Inline math longer than this is not math (bounds the search for a closing `$`). */
const MAX_INLINE = 2000;

/** MathML for `tex`; until KaTeX is loaded, the source as text (redrawn once it is). */
export function renderTex(tex: string, display: boolean): string {
  const html = library("math")?.renderTex(tex, display);
  if (html) return html;
  const cls = html === undefined ? "cw-math-pending" : "cw-math-error";
  return `<code class="${cls}">${escapeHtml(tex)}</code>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function mathInline(state: StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  const max = state.posMax;
  if (src.charCodeAt(start) !== DOLLAR) return false;

  if (src.charCodeAt(start + 1) === DOLLAR) {
    // $$…$$ inside a paragraph: display math.
    const close = src.indexOf("$$", start + 2);
    if (close < 0 || close > max - 2 || close === start + 2 || close - start > MAX_INLINE) return false;
    if (!silent) {
      const token = state.push("math_inline_display", "math", 0);
      token.content = src.slice(start + 2, close);
      token.markup = "$$";
    }
    state.pos = close + 2;
    return true;
  }

  // $…$: no space after the opening $, no space before the closing $, no digit after it.
  if (start + 1 >= max || isSpace(src.charCodeAt(start + 1))) return false;
  const limit = Math.min(max, start + MAX_INLINE);
  let pos = start + 1;
  while (pos < limit) {
    const code = src.charCodeAt(pos);
    if (code === BACKSLASH) {
      pos += 2;
      continue;
    }
    if (code === DOLLAR) {
      const valid = !isSpace(src.charCodeAt(pos - 1)) && !(pos + 1 < max && isDigit(src.charCodeAt(pos + 1)));
      if (valid) break;
      // A `$` that cannot close (e.g. "$5 and $10") means this is not math.
      return false;
    }
    pos++;
  }
  if (pos >= limit || src.charCodeAt(pos) !== DOLLAR) return false;
  if (!silent) {
    const token = state.push("math_inline", "math", 0);
    token.content = src.slice(start + 1, pos);
    token.markup = "$";
  }
  state.pos = pos + 1;
  return true;
}

/** `\(…\)` inline and `\[…\]` inline display. Runs before the escape rule, which would
 * otherwise turn `\(` into a plain parenthesis. */
function mathParen(state: StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  if (src.charCodeAt(start) !== BACKSLASH) return false;
  const open = src[start + 1];
  if (open !== "(" && open !== "[") return false;
  const closer = open === "(" ? "\\)" : "\\]";
  const close = src.indexOf(closer, start + 2);
  if (close < 0 || close + 2 > state.posMax || close === start + 2 || close - start > MAX_INLINE) return false;
  if (!silent) {
    const token = state.push(open === "(" ? "math_inline" : "math_inline_display", "math", 0);
    token.content = src.slice(start + 2, close);
    token.markup = open === "(" ? "\\(" : "\\[";
  }
  state.pos = close + 2;
  return true;
}

function mathBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  let pos = state.bMarks[startLine] + state.tShift[startLine];
  let max = state.eMarks[startLine];
  if (state.sCount[startLine] - state.blkIndent >= 4) return false;
  const opener = state.src.slice(pos, pos + 2);
  if (pos + 2 > max || (opener !== "$$" && opener !== "\\[")) return false;
  const closer = opener === "$$" ? "$$" : "\\]";
  pos += 2;
  let firstLine = state.src.slice(pos, max);
  let lastLine = "";
  let next = startLine;
  let found = false;
  if (firstLine.trim().endsWith(closer)) {
    // $$ … $$ on one line.
    firstLine = firstLine.trim().slice(0, -2);
    found = true;
  }
  if (!found) {
    for (next = startLine + 1; next < endLine; next++) {
      pos = state.bMarks[next] + state.tShift[next];
      max = state.eMarks[next];
      if (pos < max && state.sCount[next] < state.blkIndent) break;
      const line = state.src.slice(pos, max).trimEnd();
      if (line.endsWith(closer)) {
        lastLine = line.slice(0, -2);
        found = true;
        break;
      }
    }
  }
  if (!found) return false; // unclosed: not math (prices, or a stream still arriving)
  if (silent) return true;
  const lines = found && next > startLine ? state.getLines(startLine + 1, next, state.tShift[startLine], true) : "";
  const token = state.push("math_block", "math", 0);
  token.block = true;
  token.content = (firstLine.trim() ? firstLine + "\n" : "") + lines + (lastLine.trim() ? lastLine : "");
  token.map = [startLine, next + 1];
  token.markup = opener;
  state.line = next + 1;
  return true;
}

export function mathPlugin(md: MarkdownIt): void {
  md.inline.ruler.after("escape", "math_inline", mathInline);
  md.inline.ruler.before("escape", "math_paren", mathParen);
  md.block.ruler.before("fence", "math_block", mathBlock, { alt: ["paragraph", "reference", "blockquote", "list"] });
  md.renderer.rules.math_inline = (tokens, idx) => renderTex(tokens[idx].content, false);
  md.renderer.rules.math_inline_display = (tokens, idx) => renderTex(tokens[idx].content, true);
  md.renderer.rules.math_block = (tokens, idx) => `<div class="cw-math">${renderTex(tokens[idx].content, true)}</div>\n`;
}
