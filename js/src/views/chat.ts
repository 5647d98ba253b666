// The chat view of one widget view: title, protocol banner, the message log and the
// composer. Store changes are coalesced per animation frame; only changed items re-render.
// A long history shows the newest PAGE top-level items and renders older ones on demand.
import { type Labels, labels as labelsFor } from "../i18n";
import { HELLO, PROTOCOL_VERSION } from "../protocol";
import { type ChatStore, type StoreChange, isMessage } from "../store";
import { Composer } from "./composer";
import { el } from "./format";
import { MessageView } from "./message";
import { StepView } from "./step";

const PAGE = 50;
/** Pixels from the bottom that still count as "at the bottom". */
const STICK_SLACK = 48;

type ItemView = MessageView | StepView;

export interface ChatRoot extends HTMLElement {
  __chatwidget?: { store: ChatStore };
}

export class ChatView {
  readonly root: ChatRoot;
  private readonly title = el("div", "cw-title");
  private readonly banner = el("div", "cw-banner");
  private readonly scroller = el("div", "cw-messages");
  private readonly earlier = el("button", "cw-load-earlier");
  private readonly flow = el("div", "cw-flow");
  private readonly composer: Composer;
  private readonly items = new Map<string, ItemView>();
  private labels: Labels;
  private language = "\0";
  private hidden = 0; // number of oldest top-level items not rendered
  private firstLayout = true;
  private stick = true;
  private frame = 0;
  private dirty = new Set<string>();
  private dirtyStructure = true;
  private dirtyMeta = true;
  private readonly unsubscribe: () => void;
  private readonly observer: IntersectionObserver | null = null;
  private readonly resize: ResizeObserver | null = null;
  private disposed = false;

  constructor(host: HTMLElement, private readonly store: ChatStore) {
    this.labels = labelsFor(store.config.language);
    const root = el("div", "cw-root") as ChatRoot;
    this.root = root;
    root.dataset.instance = store.instance;
    root.__chatwidget = { store };
    this.banner.setAttribute("role", "alert");
    this.banner.hidden = true;
    this.scroller.setAttribute("role", "log");
    this.scroller.setAttribute("aria-live", "polite");
    this.scroller.setAttribute("aria-relevant", "additions");
    this.scroller.tabIndex = 0;
    this.earlier.type = "button";
    this.earlier.hidden = true;
    this.earlier.addEventListener("click", () => this.loadEarlier());
    this.scroller.append(this.earlier, this.flow);
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.composer = new Composer(store, this.labels);
    root.append(this.title, this.banner, this.scroller, this.composer.el);
    host.append(root);

    if (typeof IntersectionObserver !== "undefined") {
      this.observer = new IntersectionObserver(
        (entries) => {
          if (entries.some((e) => e.isIntersecting) && !this.earlier.hidden && !this.firstLayout) this.loadEarlier();
        },
        { root: this.scroller, rootMargin: "200px 0px 0px 0px" },
      );
      this.observer.observe(this.earlier);
    }
    if (typeof ResizeObserver !== "undefined") {
      // Attached later, resized, images loaded, a step opened: keep following the bottom.
      this.resize = new ResizeObserver(() => {
        if (this.stick) this.scrollToBottom();
      });
      this.resize.observe(this.scroller);
      this.resize.observe(this.flow);
    }
    this.unsubscribe = store.subscribe((change) => this.onChange(change));
    this.flush();
    this.hello();
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.observer?.disconnect();
    this.resize?.disconnect();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.root.remove();
  }

  private async hello(): Promise<void> {
    if (this.store.protocol !== undefined && this.store.protocol !== PROTOCOL_VERSION) this.showMismatch();
    const reply = await this.store.request(HELLO, { protocol: PROTOCOL_VERSION });
    if (this.disposed) return;
    const result = reply.result as { protocol?: unknown } | undefined;
    const theirs = reply.ok ? result?.protocol : undefined;
    const refused = !reply.ok && /protocol/i.test(reply.error?.code ?? "");
    if (refused || (theirs !== undefined && String(theirs) !== PROTOCOL_VERSION)) this.showMismatch();
  }

  private showMismatch(): void {
    this.banner.textContent = this.labels.protocolMismatch;
    this.banner.hidden = false;
  }

  // ---- change handling -------------------------------------------------------------------

  private onChange(change: StoreChange): void {
    for (const id of change.steps) this.dirty.add(id);
    if (change.structure) this.dirtyStructure = true;
    if (change.meta) this.dirtyMeta = true;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    if (this.disposed) return;
    const store = this.store;
    if (this.dirtyMeta) {
      this.dirtyMeta = false;
      const config = store.config;
      if (config.language !== this.language) {
        this.language = config.language;
        this.labels = labelsFor(config.language);
        this.earlier.textContent = this.labels.loadEarlier;
        this.scroller.setAttribute("aria-label", this.labels.messages);
        if (!this.banner.hidden) this.showMismatch();
      }
      this.composer.setLabels(this.labels, config.placeholder);
      this.title.textContent = store.title;
      this.title.hidden = !store.title;
      const running = store.running;
      this.root.dataset.running = String(running);
      this.composer.update(running, config);
    }
    if (this.dirtyStructure) {
      this.dirtyStructure = false;
      this.layout();
    }
    const dirty = this.dirty;
    this.dirty = new Set();
    for (const id of dirty) this.renderItem(id);
    if (this.stick) this.scrollToBottom();
  }

  private renderItem(id: string): void {
    const view = this.items.get(id);
    const step = this.store.step(id);
    if (!view || !step) return;
    const text = this.store.textOf(id);
    if (view instanceof MessageView) view.update(step, text, this.store.config, this.labels);
    else view.update(step, text, this.labels);
  }

  // ---- layout ------------------------------------------------------------------------------

  private layout(): void {
    const { top, children } = this.store.layout();
    if (this.firstLayout) {
      this.hidden = Math.max(0, top.length - PAGE);
      this.firstLayout = top.length === 0;
    }
    this.hidden = Math.min(this.hidden, top.length);
    this.earlier.hidden = this.hidden === 0;
    const placed = new Set<string>();
    const place = (container: HTMLElement, ids: string[], start: number): void => {
      let at = container.firstElementChild;
      for (let i = start; i < ids.length; i++) {
        const id = ids[i];
        const view = this.ensure(id);
        if (!view) continue;
        placed.add(id);
        if (at !== view.el) container.insertBefore(view.el, at);
        else at = at.nextElementSibling;
        if (view instanceof StepView) place(view.children, children.get(id) ?? [], 0);
      }
      // Whatever follows is no longer shown here.
      while (at) {
        const next = at.nextElementSibling;
        at.remove();
        at = next;
      }
    };
    place(this.flow, top, this.hidden);
    for (const [id, view] of this.items) {
      if (!placed.has(id)) {
        view.el.remove();
        this.items.delete(id);
      }
    }
  }

  private ensure(id: string): ItemView | null {
    let view = this.items.get(id);
    const step = this.store.step(id);
    if (!step) return null;
    const wantMessage = isMessage(step);
    if (view && (view instanceof MessageView) !== wantMessage) {
      view.el.remove();
      view = undefined;
    }
    if (!view) {
      view = wantMessage ? new MessageView(id, this.labels) : new StepView(id, this.labels);
      this.items.set(id, view);
      this.renderItem(id);
    }
    return view;
  }

  private loadEarlier(): void {
    if (this.hidden === 0) return;
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    this.hidden = Math.max(0, this.hidden - PAGE);
    this.layout();
    this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
  }

  // ---- scrolling ---------------------------------------------------------------------------

  private onScroll(): void {
    const s = this.scroller;
    this.stick = s.scrollHeight - s.scrollTop - s.clientHeight <= STICK_SLACK;
  }

  private scrollToBottom(): void {
    const s = this.scroller;
    s.scrollTop = s.scrollHeight;
  }
}
