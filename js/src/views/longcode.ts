// Long code blocks (a log, a dump, a generated file of megabytes). A <pre> holding one long
// text is one box the browser lays out and paints whole, in the frame that shows it: half a
// second and more for a few megabytes. Its text is therefore put in pieces of whole lines,
// each a block of its own that the browser skips while it is out of view (content-
// visibility) and sizes meanwhile by its number of lines. The look is the same: a piece is
// lines of the same <code>, and copying the block copies its text.
import { MAX_HIGHLIGHT, safeLanguage } from "../highlight";

/** Characters of whole lines per piece. */
export const PIECE_CHARS = 16_384;
/** A fence whose code is longer than this (never highlighted) is drawn in pieces. */
export const LONG_CODE = MAX_HIGHLIGHT;

const sizes = new WeakMap<Element, number>();

function newPiece(lines: number): HTMLElement {
  const piece = document.createElement("div");
  piece.className = "cw-code-piece";
  // Until the piece is first drawn it is as tall as its lines (then as tall as it was drawn).
  piece.style.containIntrinsicBlockSize = `auto ${Math.max(1, lines)}lh`;
  return piece;
}

function linesIn(text: string): number {
  let n = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) n++;
  return n;
}

/**
 * Append `text` (whole lines, or the code's end) to `code` in pieces, before `before`
 * (the line still being written, if any): into the last piece while it has room, then in
 * new ones, each cut after a line break where there is one.
 */
export function appendCode(code: HTMLElement, text: string, before: Node | null = null): void {
  let last = (before ? before.previousSibling : code.lastChild) as HTMLElement | null;
  if (last && !sizes.has(last)) last = null;
  let from = 0;
  while (from < text.length) {
    const room = last ? PIECE_CHARS - (sizes.get(last) ?? 0) : PIECE_CHARS;
    let to = text.length;
    if (to - from > room) {
      const at = text.lastIndexOf("\n", from + room - 1);
      if (at >= from) to = at + 1;
      else if (last) to = from;
      else {
        // One line longer than a piece: the piece holds all of it (a cut would show two lines).
        const next = text.indexOf("\n", from + room);
        to = next < 0 ? text.length : next + 1;
      }
    }
    if (to === from) {
      last = null; // no whole line fits in the last piece: start a new one
      continue;
    }
    const run = text.slice(from, to);
    if (!last) {
      last = newPiece(linesIn(run));
      sizes.set(last, 0);
      code.insertBefore(last, before);
    }
    last.append(run);
    sizes.set(last, (sizes.get(last) ?? 0) + run.length);
    from = to;
  }
}

export interface LongFence {
  /** Markdown before the fence, in the same run of blocks. */
  before: string;
  language: string | null;
  code: string;
  /** Markdown after the fence's closing line. */
  after: string;
}

const OPENING = /^(`{3,}|~{3,})([^\n]*)$/gm;

/**
 * The long code fence of a run of blocks, if it holds one: a fence that opens at the very
 * start of a line (so it is a block of the top level) and whose code is longer than
 * LONG_CODE. Nothing else is read from the code.
 */
export function findLongFence(text: string): LongFence | null {
  if (text.length <= LONG_CODE) return null;
  OPENING.lastIndex = 0;
  for (let m = OPENING.exec(text); m; m = OPENING.exec(text)) {
    const [line, marker, info] = m;
    if (marker[0] === "`" && info.includes("`")) continue; // an inline code span, not a fence
    const start = m.index + line.length + 1;
    const closing = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}[ \\t]*$`, "gm");
    closing.lastIndex = start;
    const end = closing.exec(text);
    const codeEnd = end ? end.index : text.length;
    if (codeEnd - start > LONG_CODE) {
      const language = safeLanguage(info.trim().split(/\s+/)[0]);
      const after = end ? text.slice(end.index + end[0].length + 1) : "";
      return { before: text.slice(0, m.index), language, code: text.slice(start, codeEnd), after };
    }
    if (!end) return null;
    OPENING.lastIndex = end.index + end[0].length;
  }
  return null;
}

/** A code block as renderMarkdown draws one (decorate adds its header), its code in pieces. */
export function longCodeBlock(language: string | null, code: string): HTMLElement {
  const pre = document.createElement("pre");
  pre.className = "cw-code";
  const el = document.createElement("code");
  el.className = language ? `hljs language-${language}` : "hljs";
  appendCode(el, code);
  pre.append(el);
  return pre;
}
