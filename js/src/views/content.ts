// A block of markdown that may be streaming. While streaming, completed blocks (up to the
// last blank line outside a code fence or math block, or just after a closing fence) are
// rendered once and frozen; only the trailing block is re-rendered. An open code fence in
// the tail grows as plain text, line by line (highlighted once it closes). When the stream
// ends, only what follows the frozen blocks is rendered: a long message is never rendered
// again as a whole. A long text rendered from scratch (history, a new view) is rendered in
// slices of blocks, newest first, one short task each, so the page never freezes. A stream's
// text is read from where the frozen blocks end (the store's growing text joins only that
// end): a frame's cost is what arrived and the tail, not the length of the message.
import type { Labels } from "../i18n";
import { missCount, onLibrary } from "../lazy";
import { renderMarkdown } from "../markdown";
import type { StepText } from "../store";
import { decorate } from "./decorate";
import { appendCode, findLongFence, longCodeBlock } from "./longcode";
import { afterFrame, drawingChanged, frameBudget } from "./pace";

/** A tail longer than this with no blank line is frozen at its last line break. */
const SOFT_LIMIT = 16_384;

/** A text longer than this is rendered from scratch in slices of about SLICE_CHARS. */
const SLICE_OVER = 16_384;
const SLICE_CHARS = 4_096;
/**
 * Frozen or sliced runs go into chunks of about this many characters: a chunk out of view
 * skips layout and paint (content-visibility), and the browser checks each chunk's
 * visibility on every frame, so a long message holds few of them.
 */
const GROUP_CHARS = 32_768;
/** How far past what was scanned a stream's text is read at a time. */
const WINDOW = 65_536;
/** JavaScript time one task of freezing or slicing may take (a 50 ms task is a visible stall). */
const SLICE_BUDGET_MS = 8;

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
/** First characters of a line that may open a code fence or a math block: ` ~ $ \ */
const OPENERS = new Set([96, 126, 36, 92]);

interface Scan {
  pos: number; // start of the next line to scan
  fence: { char: string; len: number; start: number; contentStart: number } | null;
  math: string | null; // the closing delimiter of an open math block
  safe: number; // last offset where a block may end
}

function newScan(from: number): Scan {
  return { pos: from, fence: null, math: null, safe: from };
}

/**
 * Advance the scan over the complete lines of `text`; `onSafe` hears every block end.
 * `text` may be the end of a longer text that starts `base` characters earlier (offsets
 * stay those of the whole).
 */
function advance(scan: Scan, text: string, onSafe?: (offset: number, splittable: boolean) => void, base = 0): void {
  let pos = scan.pos;
  for (;;) {
    const at = text.indexOf("\n", pos - base);
    if (at < 0) break;
    const nl = at + base;
    const fence = scan.fence;
    // Most lines are prose (or code inside a fence): told from their first character after
    // spaces and tabs, without taking the line out or testing it against patterns.
    let i = pos - base;
    let c = text.charCodeAt(i);
    while (i < at && (c === 32 || c === 9)) c = text.charCodeAt(++i);
    const plain = i < at && c > 32 && c < 127;
    if (plain && (fence ? c !== fence.char.charCodeAt(0) : !scan.math && !OPENERS.has(c))) {
      pos = nl + 1;
      continue;
    }
    if (i === at && !scan.math) {
      // A blank line (spaces and tabs at most): a block ends here, unless inside a fence.
      if (!fence) {
        scan.safe = nl + 1;
        onSafe?.(scan.safe, true);
      }
      pos = nl + 1;
      continue;
    }
    const line = text.slice(pos - base, at);
    if (fence) {
      const t = line.trim();
      if (t.length >= fence.len && t[0] === fence.char && t === fence.char.repeat(t.length)) {
        scan.fence = null;
        scan.safe = nl + 1;
        onSafe?.(scan.safe, false);
      }
    } else if (scan.math) {
      if (line.trimEnd().endsWith(scan.math)) {
        scan.math = null;
        scan.safe = nl + 1;
        onSafe?.(scan.safe, false);
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
        onSafe?.(scan.safe, true);
      }
    }
    pos = nl + 1;
  }
  scan.pos = pos;
}

/** Where each block of `text` ends, and whether it may be split (not code or math). */
export function blockEnds(text: string): [number, boolean][] {
  const ends: [number, boolean][] = [];
  const scan = newScan(0);
  advance(scan, text, (at, splittable) => ends.push([at, splittable]));
  if (!ends.length || ends[ends.length - 1][0] < text.length) ends.push([text.length, !scan.fence && !scan.math]);
  return ends;
}

/**
 * Offsets that split `text` into runs of whole blocks of about `every` characters (the
 * last run ends at the text's end). A single block far longer than `every` is split at a
 * line break or a space, like a streaming tail past SOFT_LIMIT, unless it is code or math.
 */
export function blockCuts(text: string, every: number): number[] {
  const ends = blockEnds(text);
  const cuts: number[] = [];
  let last = 0;
  let prev = 0;
  for (const [at, splittable] of ends) {
    if (at - prev > 4 * every) {
      // A long block is a run of its own (a long code fence is drawn in pieces on its own).
      if (prev > last) cuts.push((last = prev));
      if (splittable) while (at - last > 4 * every) cuts.push((last = softCut(text, last, every)));
    }
    if (at > last && (at - last >= every || at === text.length)) cuts.push((last = at));
    prev = at;
  }
  if (!cuts.length || cuts[cuts.length - 1] !== text.length) cuts.push(text.length);
  return cuts;
}

/** A cut about `every` characters after `from`, at a line break or a space if there is one. */
function softCut(text: string, from: number, every: number): number {
  const limit = from + 2 * every;
  let at = text.lastIndexOf("\n", limit);
  if (at < from + every / 2) at = text.lastIndexOf(" ", limit);
  return at < from + every / 2 ? limit : at + 1;
}

/** The DOM of a run of whole blocks, decorated; a long code fence in it drawn in pieces. */
function renderRun(text: string, labels: Labels): DocumentFragment {
  const fence = findLongFence(text);
  if (!fence) {
    const fragment = renderMarkdown(text);
    decorate(fragment, labels);
    return fragment;
  }
  const fragment = fence.before ? renderMarkdown(fence.before) : document.createDocumentFragment();
  fragment.append(longCodeBlock(fence.language, fence.code));
  if (fence.after.trim()) fragment.append(renderMarkdown(fence.after));
  decorate(fragment, labels);
  return fragment;
}

export class MarkdownView {
  readonly el: HTMLElement;
  private labels: Labels;
  private mode: "empty" | "stream" | "final" = "empty";
  /** The final text; while streaming, what was given (a growing text grows in place). */
  private text = "";
  private source: StepText = "";
  private length = 0;
  /** While streaming, the text from `base` (= what is frozen) on: nothing before it is read again. */
  private win = "";
  private base = 0;
  /** Whether `win` reaches the end of the text (a stream far ahead is read a window at a time). */
  private whole = true;
  private frozen = 0;
  /** The first and the last characters frozen, to tell a text that continues from another. */
  private frozenHead = "";
  private frozenEdge = "";
  private scan: Scan = newScan(0);
  /** Block ends found by the scan, and the first of them not frozen yet. */
  private ends: number[] = [];
  private endsAt = 0;
  /** The scheduled pump's ticket (0: none); a newer one, or a reset, voids it. */
  private pumpTicket = 0;
  private tickets = 0;
  /** The chunk frozen blocks go into, and its characters (see GROUP_CHARS). */
  private box: HTMLElement | null = null;
  private boxChars = 0;
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

  /** `text`: a final text, or a stream's text so far (a growing text is read from its end). */
  update(text: StepText, streaming: boolean): void {
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
      const { text, source, mode } = this;
      this.mode = "empty";
      if (mode === "final") this.update(text, false);
      else if (mode === "stream") {
        this.reset();
        this.update(source, true);
      }
    });
  }

  private render(given: StepText, streaming: boolean): void {
    if (!streaming) {
      if (this.mode === "final" && given === this.text) return;
      if (this.mode === "stream" && this.continues(given)) {
        this.see(given);
        this.finish();
      } else this.renderFull(String(given));
      return;
    }
    if (this.mode === "stream" && given === this.source && given.length === this.length) return;
    if (this.mode !== "stream" || !this.continues(given)) this.reset();
    this.see(given);
    advance(this.scan, this.win, (at) => this.ends.push(at), this.base);
    // A pump waits already: it reads what came since. Blocks a stream sends at a reader's
    // pace are frozen at once; a larger run (a page behind a fast stream) in a task of its
    // own, not in the frame that draws it.
    if (this.pumpTicket) return;
    const pending = this.ends.length > this.endsAt ? this.ends[this.ends.length - 1] - this.frozen : 0;
    if (this.whole && pending <= SLICE_CHARS) this.pump();
    else this.schedulePump(false);
  }

  /** Pump in a task of its own: soon, or after the next frame is drawn. */
  private schedulePump(nextFrame: boolean): void {
    const ticket = (this.pumpTicket = ++this.tickets);
    const go = () => {
      if (ticket === this.pumpTicket) this.pump();
    };
    if (nextFrame) afterFrame(go);
    else setTimeout(go, 0);
  }

  /**
   * Take the text given, keeping only its part from `base` on: of a growing text, at most
   * WINDOW characters past what the scan has read, and nothing past it while what was
   * scanned and not frozen is a window long already. A stream far ahead of the page is
   * not joined whole on every frame; the rest is read as the frozen part moves on.
   */
  private see(given: StepText): void {
    const ahead = this.scan.pos - this.base;
    const most = ahead < WINDOW ? ahead + WINDOW : ahead;
    // The same growing text, and the window holds what is wanted already: nothing to join.
    const held = given === this.source && this.win.length >= Math.min(most, given.length - this.base);
    this.source = given;
    this.length = given.length;
    if (!held) {
      this.win = typeof given === "string" ? given.slice(this.base, this.base + most) : given.from(this.base, most);
    }
    this.whole = this.base + this.win.length >= given.length;
  }

  /** The text between two offsets of the whole, both at or after `base`. */
  private part(from: number, to?: number): string {
    return this.win.slice(from - this.base, to === undefined ? undefined : to - this.base);
  }

  /**
   * Freeze complete blocks, a run of about SLICE_CHARS at a time, until this task's time
   * (SLICE_BUDGET_MS) or the frame's characters (frameBudget) are spent; the rest after the
   * next frame. The time bounds the script; the characters bound the layout of the frame
   * that draws it. A busy machine renders less per frame and catches up later, in short
   * tasks.
   */
  private pump(): void {
    this.pumpTicket = 0;
    if (this.mode !== "stream") return;
    if (!this.whole) {
      // The window ends before the text does: read on from where the scan stopped.
      this.see(this.source);
      advance(this.scan, this.win, (at) => this.ends.push(at), this.base);
    }
    const ends = this.ends;
    const deadline = performance.now() + SLICE_BUDGET_MS;
    const limit = this.frozen + frameBudget.left();
    const from = this.frozen;
    while (this.endsAt < ends.length && performance.now() < deadline && this.frozen < limit) {
      let cut = this.frozen;
      while (this.endsAt < ends.length) {
        const end = ends[this.endsAt];
        if (cut > this.frozen && end - this.frozen > SLICE_CHARS) break;
        if (end > cut) cut = end;
        this.endsAt++;
      }
      if (cut > this.frozen) this.freezeTo(cut);
    }
    const backlog = this.endsAt < ends.length || !this.whole;
    if (!backlog && !this.scan.fence && !this.scan.math && this.length - this.frozen > SOFT_LIMIT) {
      // A huge block: cut at its last line break, or at its last space (a paragraph split
      // in two while streaming; the final render joins it again).
      let at = this.win.lastIndexOf("\n") + this.base;
      if (at + 1 <= this.frozen + SOFT_LIMIT / 2) at = this.win.lastIndexOf(" ") + this.base;
      if (at + 1 > this.frozen + SOFT_LIMIT / 2) this.freezeTo(at + 1);
    }
    frameBudget.spend(this.frozen - from);
    if (backlog) {
      // Blocks are still waiting: the tail would be all of them; show it when they are in.
      this.tail?.replaceChildren();
      this.tailHtmlOf = "";
      this.live = null;
      this.schedulePump(true);
      return;
    }
    this.renderTail();
  }

  /** Freeze the text up to `cut` as one chunk; reading starts there from now on. */
  private freezeTo(cut: number): void {
    const piece = this.part(this.frozen, cut);
    this.freeze(piece);
    if (this.frozenHead.length < 256) this.frozenHead = (this.frozenHead + piece).slice(0, 256);
    this.frozenEdge = (this.frozenEdge + piece.slice(-256)).slice(-256);
    this.frozen = cut;
    this.win = this.part(cut);
    this.base = cut;
    if (this.scan.safe < cut) {
      // A soft cut: continue scanning from the cut as a fresh block.
      this.scan = newScan(cut);
      advance(this.scan, this.win, (at) => this.ends.push(at), this.base);
    }
  }

  /**
   * Whether `text` extends what is frozen. The store only appends while a step streams (a
   * replace or a resync gives another text); comparing the ends of the frozen part keeps
   * this check from costing the whole text on every frame.
   */
  private continues(given: StepText): boolean {
    const frozen = this.frozen;
    if (given.length < frozen) return false;
    // The store's growing text only grows (a replaced text is another object).
    if (typeof given !== "string") return given === this.source;
    const head = this.frozenHead;
    const edge = this.frozenEdge;
    return given.startsWith(head) && given.startsWith(edge, frozen - edge.length);
  }

  /** The stream ended: render what follows the frozen blocks, once, as final. */
  private finish(): void {
    this.cancelSlices();
    this.pumpTicket = 0;
    if (!this.whole) {
      this.win = String(this.source).slice(this.base);
      this.whole = true;
    }
    const rest = this.part(this.frozen);
    // Kept to tell the same final text again; joined once, at the end.
    this.text = String(this.source);
    this.mode = "final";
    this.live = null;
    const tail = this.tail;
    this.tail = null;
    if (rest.length > SLICE_CHARS) {
      // Blocks not frozen yet (a page far behind the stream), a long last paragraph, or a
      // long open code fence: rendered in slices like a fresh text, the end first, after
      // this frame (it draws the stream's last blocks and the message's final look; finding
      // where the rest's blocks end takes a few milliseconds per megabyte). The tail shows
      // what it showed until the first slice takes its place.
      const token = ++this.slicing;
      this.setBusy(true);
      afterFrame(() => {
        if (token === this.slicing) this.renderSlices(rest, 0, null, tail);
      });
      return;
    }
    const fragment = renderMarkdown(rest);
    decorate(fragment, this.labels);
    if (tail) {
      tail.classList.remove("cw-tail");
      tail.replaceChildren(fragment);
    } else if (rest) {
      const div = document.createElement("div");
      div.className = "cw-chunk";
      div.append(fragment);
      this.el.append(div);
    }
  }

  private slicing = 0;

  private cancelSlices(): void {
    this.slicing++;
    this.setBusy(false);
  }

  /** Whether the text is still being put in the page: `aria-busy`, and the page is told. */
  private setBusy(busy: boolean): void {
    if (this.el.hasAttribute("aria-busy") === busy) return;
    if (busy) this.el.setAttribute("aria-busy", "true");
    else this.el.removeAttribute("aria-busy");
    drawingChanged();
  }

  /**
   * Render `text` from `from` in runs of whole blocks, the last run first (the chat shows
   * the bottom), as many per frame as the frame budget gives; runs go before `before`, and
   * the first takes the place of `stale`.
   */
  private renderSlices(text: string, from: number, before: Node | null, stale: Element | null = null): void {
    const body = text.slice(from);
    const started = performance.now();
    const cuts = blockCuts(body, SLICE_CHARS);
    const token = ++this.slicing;
    this.setBusy(true);
    let i = cuts.length - 1;
    let first: Node | null = before;
    let box: HTMLElement | null = null;
    let boxChars = 0;
    const run = () => {
      if (token !== this.slicing) return;
      const deadline = performance.now() + SLICE_BUDGET_MS;
      const budget = frameBudget.left();
      if (budget <= 0) {
        // This frame added its share already (a stream that just ended, another message).
        afterFrame(run);
        return;
      }
      let chars = 0;
      do {
        const size = cuts[i] - (i > 0 ? cuts[i - 1] : 0);
        chars += size;
        const fragment = renderRun(body.slice(i > 0 ? cuts[i - 1] : 0, cuts[i]), this.labels);
        if (!box || boxChars + size > GROUP_CHARS) {
          box = document.createElement("div");
          box.className = "cw-chunk";
          boxChars = 0;
          this.el.insertBefore(box, first);
          first = box;
          stale?.remove();
          stale = null;
        }
        box.prepend(fragment);
        boxChars += size;
        i--;
      } while (i >= 0 && chars < budget && performance.now() < deadline);
      frameBudget.spend(chars);
      if (i >= 0) afterFrame(run);
      else this.setBusy(false);
    };
    // Finding the blocks of a very long text took this frame's time: draw from the next.
    if (performance.now() - started > SLICE_BUDGET_MS / 2) afterFrame(run);
    else run();
  }

  private reset(): void {
    this.cancelSlices();
    this.pumpTicket = 0;
    this.ends = [];
    this.endsAt = 0;
    this.el.replaceChildren();
    this.mode = "stream";
    this.text = "";
    this.source = "";
    this.length = 0;
    this.win = "";
    this.base = 0;
    this.whole = true;
    this.frozen = 0;
    this.frozenHead = "";
    this.frozenEdge = "";
    this.scan = newScan(0);
    this.tail = null;
    this.tailHtmlOf = "";
    this.live = null;
  }

  private renderFull(text: string): void {
    this.cancelSlices();
    this.pumpTicket = 0;
    this.mode = "final";
    this.text = text;
    this.tail = null;
    this.live = null;
    if (text.length > SLICE_OVER) {
      this.el.replaceChildren();
      this.renderSlices(text, 0, null);
      return;
    }
    const fragment = renderMarkdown(text);
    decorate(fragment, this.labels);
    if (text.length > GROUP_OVER) group(fragment);
    this.el.replaceChildren(fragment);
  }

  private freeze(chunk: string): void {
    const fragment = renderRun(chunk, this.labels);
    let box = this.box;
    if (!box || box.parentNode !== this.el || this.boxChars + chunk.length > GROUP_CHARS) {
      box = this.box = document.createElement("div");
      box.className = "cw-chunk";
      this.boxChars = 0;
      this.el.insertBefore(box, this.tail);
    }
    box.append(fragment);
    this.boxChars += chunk.length;
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
    const fence = this.scan.fence;
    if (fence && fence.start >= this.frozen) {
      this.renderLiveFence(tail, fence.start, fence.contentStart);
      return;
    }
    const rest = this.part(this.frozen);
    if (this.live === null && rest === this.tailHtmlOf) return;
    this.live = null;
    this.tailHtmlOf = rest;
    const fragment = renderMarkdown(rest);
    decorate(fragment, this.labels);
    tail.replaceChildren(fragment);
  }

  /** The tail is an open code fence: show it growing as plain text, appending only what is new. */
  private renderLiveFence(tail: HTMLElement, start: number, contentStart: number): void {
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
    const before = this.part(this.frozen, start);
    if (before !== live.headOf) {
      live.headOf = before;
      const fragment = renderMarkdown(before);
      decorate(fragment, this.labels);
      live.head.replaceChildren(fragment);
    }
    const complete = Math.max(this.scan.pos, contentStart);
    if (complete > live.shown) {
      appendCode(live.code, this.part(live.shown, complete), live.partial);
      live.shown = complete;
    }
    live.partial.data = this.length > complete ? this.part(complete) : "";
  }
}
