// A block of markdown that may be streaming. While streaming, completed blocks (up to the
// last blank line outside a code fence or math block, or just after a closing fence) are
// rendered once and frozen; only the trailing block is re-rendered. An open code fence in
// the tail grows as plain text, line by line (highlighted once it closes). When the stream
// ends the whole text is rendered once.
import type { Labels } from "../i18n";
import { missCount, onLibrary } from "../lazy";
import { renderMarkdown } from "../markdown";
import { decorate } from "./decorate";

/** A tail longer than this with no blank line is frozen at its last line break. */
const SOFT_LIMIT = 16_384;

/** A final text longer than this has its blocks grouped, so off-screen groups skip layout. */
const GROUP_OVER = 20_000;
const GROUP_SIZE = 24;

/** Wrap the top-level nodes of a long rendered text in chunks of GROUP_SIZE (same look). */
function group(fragment: DocumentFragment): void {
  const nodes = Array.from(fragment.childNodes);
  for (let i = 0; i < nodes.length; i += GROUP_SIZE) {
    const div = document.createElement("div");
    div.className = "cw-chunk";
    div.append(...nodes.slice(i, i + GROUP_SIZE));
    fragment.append(div);
  }
}

const FENCE_OPEN = /^\s*(`{3,}|~{3,})([^`]*)$/;

interface Scan {
  pos: number; // start of the next line to scan
  fence: { char: string; len: number; start: number; contentStart: number } | null;
  math: string | null; // the closing delimiter of an open math block
  safe: number; // last offset where a block may end
}

function newScan(from: number): Scan {
  return { pos: from, fence: null, math: null, safe: from };
}

/** Advance the scan over the complete lines of `text`. */
function advance(scan: Scan, text: string): void {
  let pos = scan.pos;
  for (;;) {
    const nl = text.indexOf("\n", pos);
    if (nl < 0) break;
    const line = text.slice(pos, nl);
    const fence = scan.fence;
    if (fence) {
      const t = line.trim();
      if (t.length >= fence.len && t[0] === fence.char && t === fence.char.repeat(t.length)) {
        scan.fence = null;
        scan.safe = nl + 1;
      }
    } else if (scan.math) {
      if (line.trimEnd().endsWith(scan.math)) {
        scan.math = null;
        scan.safe = nl + 1;
      }
    } else {
      const m = FENCE_OPEN.exec(line);
      if (m && !(m[1][0] === "`" && m[2].includes("`"))) {
        scan.fence = { char: m[1][0], len: m[1].length, start: pos, contentStart: nl + 1 };
      } else if (/^\s{0,3}(?:\$\$|\\\[)/.test(line)) {
        const closer = line.trim().startsWith("$$") ? "$$" : "\\]";
        if (!line.trim().slice(2).endsWith(closer)) scan.math = closer;
      } else if (line.trim() === "") {
        scan.safe = nl + 1;
      }
    }
    pos = nl + 1;
  }
  scan.pos = pos;
}

export class MarkdownView {
  readonly el: HTMLElement;
  private labels: Labels;
  private mode: "empty" | "stream" | "final" = "empty";
  private text = "";
  private frozen = 0;
  private frozenText = "";
  private scan: Scan = newScan(0);
  private tail: HTMLElement | null = null;
  private tailHtmlOf = "";
  private live: { start: number; code: HTMLElement; shown: number; partial: Text; pre: HTMLElement; head: HTMLElement; headOf: string } | null = null;

  private waiting: (() => void) | null = null;

  constructor(labels: Labels, className = "cw-markdown") {
    this.labels = labels;
    this.el = document.createElement("div");
    this.el.className = className;
  }

  setLabels(labels: Labels): void {
    this.labels = labels;
  }

  update(text: string, streaming: boolean): void {
    const misses = missCount();
    this.render(text, streaming);
    if (missCount() !== misses) this.redrawWhenLoaded();
  }

  /** Math or highlighting was shown as plain text: draw again once the library is there. */
  private redrawWhenLoaded(): void {
    if (this.waiting) return;
    this.waiting = onLibrary(() => {
      this.waiting?.();
      this.waiting = null;
      if (!this.el.isConnected) return;
      const { text, mode } = this;
      this.mode = "empty";
      if (mode === "final") this.update(text, false);
      else if (mode === "stream") {
        this.reset();
        this.update(text, true);
      }
    });
  }

  private render(text: string, streaming: boolean): void {
    if (!streaming) {
      if (this.mode === "final" && text === this.text) return;
      this.renderFull(text);
      return;
    }
    if (this.mode === "stream" && text === this.text) return;
    if (this.mode !== "stream" || text.length < this.frozen || !text.startsWith(this.frozenText)) this.reset();
    this.text = text;
    advance(this.scan, text);
    let cut = this.scan.safe;
    if (!this.scan.fence && !this.scan.math && text.length - Math.max(cut, this.frozen) > SOFT_LIMIT) {
      // A huge block: cut at its last line break, or at its last space (a paragraph split
      // in two while streaming; the final render joins it again).
      let at = text.lastIndexOf("\n");
      if (at + 1 <= this.frozen + SOFT_LIMIT / 2) at = text.lastIndexOf(" ");
      if (at + 1 > this.frozen + SOFT_LIMIT / 2) cut = Math.max(cut, at + 1);
    }
    if (cut > this.frozen) {
      this.freeze(text.slice(this.frozen, cut));
      this.frozen = cut;
      this.frozenText = text.slice(0, cut);
      if (this.scan.safe < cut) {
        // A soft cut: continue scanning from the cut as a fresh block.
        this.scan = newScan(cut);
        advance(this.scan, text);
      }
    }
    this.renderTail();
  }

  private reset(): void {
    this.el.replaceChildren();
    this.mode = "stream";
    this.text = "";
    this.frozen = 0;
    this.frozenText = "";
    this.scan = newScan(0);
    this.tail = null;
    this.tailHtmlOf = "";
    this.live = null;
  }

  private renderFull(text: string): void {
    this.mode = "final";
    this.text = text;
    this.tail = null;
    this.live = null;
    const fragment = renderMarkdown(text);
    decorate(fragment, this.labels);
    if (text.length > GROUP_OVER) group(fragment);
    this.el.replaceChildren(fragment);
  }

  private freeze(chunk: string): void {
    const div = document.createElement("div");
    div.className = "cw-chunk";
    const fragment = renderMarkdown(chunk);
    decorate(fragment, this.labels);
    div.append(fragment);
    this.el.insertBefore(div, this.tail);
    if (this.tail) {
      this.tail.replaceChildren();
      this.tailHtmlOf = "";
      this.live = null;
    }
  }

  private ensureTail(): HTMLElement {
    if (!this.tail) {
      this.tail = document.createElement("div");
      this.tail.className = "cw-chunk cw-tail";
      this.el.append(this.tail);
    }
    return this.tail;
  }

  private renderTail(): void {
    const tail = this.ensureTail();
    const text = this.text;
    const fence = this.scan.fence;
    if (fence && fence.start >= this.frozen) {
      this.renderLiveFence(tail, text, fence.start, fence.contentStart);
      return;
    }
    const rest = text.slice(this.frozen);
    if (this.live === null && rest === this.tailHtmlOf) return;
    this.live = null;
    this.tailHtmlOf = rest;
    const fragment = renderMarkdown(rest);
    decorate(fragment, this.labels);
    tail.replaceChildren(fragment);
  }

  /** The tail is an open code fence: show it growing as plain text, appending only what is new. */
  private renderLiveFence(tail: HTMLElement, text: string, start: number, contentStart: number): void {
    let live = this.live;
    if (!live || live.start !== start) {
      const head = document.createElement("div");
      const pre = document.createElement("pre");
      pre.className = "cw-code cw-live-code";
      const code = document.createElement("code");
      code.className = "hljs";
      const partial = document.createTextNode("");
      code.append(partial);
      pre.append(code);
      tail.replaceChildren(head, pre);
      live = this.live = { start, code, shown: contentStart, partial, pre, head, headOf: "" };
      this.tailHtmlOf = "";
    }
    const before = text.slice(this.frozen, start);
    if (before !== live.headOf) {
      live.headOf = before;
      const fragment = renderMarkdown(before);
      decorate(fragment, this.labels);
      live.head.replaceChildren(fragment);
    }
    const complete = Math.max(this.scan.pos, contentStart);
    if (complete > live.shown) {
      live.code.insertBefore(document.createTextNode(text.slice(live.shown, complete)), live.partial);
      live.shown = complete;
    }
    live.partial.data = text.length > complete ? text.slice(complete) : "";
  }
}
