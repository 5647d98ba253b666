// Sizing the chat to where it is shown. In a container that has a height of its own (the
// JupyterLab side panel, an output opened in its own tab, an ipywidgets box with a fixed
// height) the chat fills that height: the message list scrolls, header and composer stay.
// Inline in a notebook cell the chat has a fixed height the user can drag (a handle at its
// bottom edge). In JupyterLab's right panel, the panel is widened once to a usable width.
import type { Labels } from "../i18n";
import { el } from "./format";

/** The smallest height the chat is given, inline or filling. */
const MIN_HEIGHT = 240;
/** A container lower than this is not worth filling: the chat keeps its inline height. */
const MIN_FILL = 160;
/** The right panel's width the chat asks for, at most this share of the window. */
const PANEL_WIDTH = 440;
const PANEL_SHARE = 0.4;
/** One keyboard step of the resize handle. */
const KEY_STEP = 40;

/** Where the walk up from the chat stops: beyond these, no container sizes the chat. */
const STOP = ".jp-Cell, .jp-Notebook, .jp-WindowedPanel-outer, body";

/** Inline heights chosen by dragging, per chat instance: a re-rendered view keeps its size. */
const chosenHeights = new Map<string, number>();

/** Right panels already widened in this page: the user's own resizing is never undone. */
const widened = new WeakSet<Element>();

function fixedHeight(node: HTMLElement): boolean {
  const h = node.style.height;
  return h !== "" && h !== "auto" && !h.endsWith("%");
}

/**
 * The nearest ancestor that has a height of its own (set inline by Lumino's panels or by an
 * ipywidgets layout), or null when the chat sits in the flow of a page or a cell.
 */
export function sizingContainer(root: HTMLElement): HTMLElement | null {
  for (let node = root.parentElement; node; node = node.parentElement) {
    if (node.matches(STOP)) return null;
    if (fixedHeight(node) || node.classList.contains("jp-LinkedOutputView")) return node;
  }
  return null;
}

/** The height left for `root` inside `box`: its content box minus what sits above the chat. */
function available(root: HTMLElement, box: HTMLElement): number {
  const style = getComputedStyle(box);
  const padTop = parseFloat(style.paddingTop) || 0;
  const padBottom = parseFloat(style.paddingBottom) || 0;
  const above = root.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientTop + box.scrollTop - padTop;
  return Math.floor(box.clientHeight - padTop - padBottom - Math.max(0, above));
}

/**
 * Widen JupyterLab's right panel once, by moving its split handle the way a user's drag
 * would (Lumino's SplitPanel handles pointer events on its handles; there is no API a
 * widget can reach). Does nothing outside JupyterLab's right area or when already wide.
 */
function widenRightPanel(root: HTMLElement): void {
  const stack = root.closest("#jp-right-stack");
  // The right area (the panel and its tab bar) is a child of the shell's split panel.
  let area: Element | null = stack;
  while (area && !area.parentElement?.classList.contains("lm-SplitPanel")) area = area.parentElement;
  const split = area?.parentElement;
  if (!stack || !area || !split || widened.has(stack)) return;
  const box = stack.getBoundingClientRect();
  if (box.width === 0) return; // collapsed or not laid out yet: try again on the next resize
  widened.add(stack);
  const edge = area.getBoundingClientRect().left;
  const outer = split.getBoundingClientRect();
  const target = Math.round(Math.min(PANEL_WIDTH, outer.width * PANEL_SHARE));
  if (box.width >= target) return;
  let handle: HTMLElement | null = null;
  let best = Infinity;
  for (const h of Array.from(split.children)) {
    if (!(h instanceof HTMLElement) || !h.classList.contains("lm-SplitPanel-handle") || h.classList.contains("lm-mod-hidden")) continue;
    const r = h.getBoundingClientRect();
    const d = Math.abs(r.left + r.width / 2 - edge);
    if (d < best) [best, handle] = [d, h];
  }
  if (!handle || best > 12) return;
  const r = handle.getBoundingClientRect();
  const y = r.top + r.height / 2;
  const from = r.left + r.width / 2;
  const to = from - (target - box.width);
  const fire = (target: EventTarget, type: string, x: number) =>
    target.dispatchEvent(new PointerEvent(type, { bubbles: true, cancelable: true, button: 0, buttons: type === "pointerup" ? 0 : 1, clientX: x, clientY: y, pointerType: "mouse", isPrimary: true }));
  fire(handle, "pointerdown", from);
  fire(document, "pointermove", to);
  fire(document, "pointerup", to);
}

export class Fit {
  readonly handle: HTMLElement;
  private box: HTMLElement | null = null;
  private readonly observer: ResizeObserver | null = null;
  private frame = 0;
  private disposed = false;

  constructor(private readonly root: HTMLElement, private readonly instance: string, labels: Labels) {
    this.handle = el("div", "cw-resize");
    this.handle.setAttribute("role", "separator");
    this.handle.setAttribute("aria-orientation", "horizontal");
    this.handle.tabIndex = 0;
    this.setLabels(labels);
    this.handle.addEventListener("pointerdown", (e) => this.drag(e));
    this.handle.addEventListener("keydown", (e) => {
      const delta = e.key === "ArrowDown" ? KEY_STEP : e.key === "ArrowUp" ? -KEY_STEP : 0;
      if (!delta) return;
      e.preventDefault();
      this.choose(this.root.getBoundingClientRect().height + delta);
    });
    const chosen = chosenHeights.get(instance);
    if (chosen) root.style.setProperty("--cw-height", `${chosen}px`);
    if (typeof ResizeObserver !== "undefined") {
      // The chat's own size changes when it is attached, moved into a panel or the panel resizes.
      this.observer = new ResizeObserver(() => this.schedule());
      this.observer.observe(root);
    }
    window.addEventListener("resize", this.schedule);
    this.schedule();
  }

  setLabels(labels: Labels): void {
    this.handle.title = labels.resize;
    this.handle.setAttribute("aria-label", labels.resize);
  }

  /** Whether the chat fills a container (no resize handle then). */
  get filling(): boolean {
    return this.root.classList.contains("cw-fill");
  }

  dispose(): void {
    this.disposed = true;
    this.observer?.disconnect();
    window.removeEventListener("resize", this.schedule);
    if (this.frame) cancelAnimationFrame(this.frame);
  }

  private readonly schedule = (): void => {
    if (!this.frame && !this.disposed) this.frame = requestAnimationFrame(() => this.apply());
  };

  private apply(): void {
    this.frame = 0;
    const root = this.root;
    if (this.disposed || !root.isConnected) return;
    const box = sizingContainer(root);
    if (box !== this.box) {
      if (this.box) this.observer?.unobserve(this.box);
      if (box) this.observer?.observe(box);
      this.box = box;
    }
    if (root.closest("#jp-right-stack")) widenRightPanel(root);
    const height = box ? available(root, box) : 0;
    if (box && height >= MIN_FILL) {
      root.classList.add("cw-fill");
      const px = `${Math.max(MIN_HEIGHT, height)}px`;
      if (root.style.height !== px) root.style.height = px;
    } else {
      root.classList.remove("cw-fill");
      root.style.removeProperty("height");
    }
  }

  private choose(height: number): void {
    const h = Math.round(Math.max(MIN_HEIGHT, Math.min(height, 4000)));
    chosenHeights.set(this.instance, h);
    this.root.style.setProperty("--cw-height", `${h}px`);
  }

  private drag(start: PointerEvent): void {
    if (start.button !== 0 || this.filling) return;
    start.preventDefault();
    const from = this.root.getBoundingClientRect().height;
    const y0 = start.clientY;
    this.handle.setPointerCapture?.(start.pointerId);
    this.root.classList.add("cw-resizing");
    const move = (e: PointerEvent) => this.choose(from + e.clientY - y0);
    const end = () => {
      this.root.classList.remove("cw-resizing");
      this.handle.removeEventListener("pointermove", move);
      this.handle.removeEventListener("pointerup", end);
      this.handle.removeEventListener("pointercancel", end);
    };
    this.handle.addEventListener("pointermove", move);
    this.handle.addEventListener("pointerup", end);
    this.handle.addEventListener("pointercancel", end);
  }
}
