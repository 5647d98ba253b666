// The chat view of one widget view: title, protocol banner, the message log and the
// composer. Store changes are coalesced per animation frame; only changed items re-render.
// A long history shows the newest PAGE top-level items and renders older ones on demand.
import { type Labels, labels as labelsFor } from "../i18n";
import { type ChatConfig, DRAWING, ELEMENT_ACTION, ELEMENT_DELETE, ELEMENT_MESSAGE, ELEMENT_PROPS, HELLO, PROTOCOL_VERSION, type ReplyMessage } from "../protocol";
import { type ChatStore, type StoreChange, isMessage } from "../store";
import { Composer } from "./composer";
import { ElementView } from "./elements";
import type { ExtrasHost } from "./extras";
import { Paging } from "../paging";
import { Fit } from "./fit";
import { ImageGate } from "../images";
import { iconFor } from "./icons";
import { renderMarkdown } from "../markdown";
import { el } from "./format";
import { Header, SettingsPanel } from "./header";
import { McpPanel } from "./mcp";
import { MessageView } from "./message";
import { PendingList } from "./pending";
import { afterFrame, onDrawingChange } from "./pace";
import { type PageHost, PageExtras } from "./page";
import { StepView } from "./step";
import { ThreadsPanel, serverBase, serverHeaders } from "./threads";

/**
 * The JSON body of `GET {base}<path>` on the page's Jupyter server; null when the page is
 * not a Jupyter page, the server does not answer within 3 s, or answers with an error (a 404
 * is the common case: a server without chatwidget's extension, or without a login provider).
 */
async function serverJson(path: string): Promise<Record<string, unknown> | null> {
  if (!document.getElementById("jupyter-config-data")) return null;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3000);
  try {
    const res = await fetch(new URL(path, serverBase()).href, {
      credentials: "same-origin",
      headers: serverHeaders(),
      signal: controller.signal,
    });
    if (!res.ok) return null;
    const body: unknown = await res.json();
    return typeof body === "object" && body !== null ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The server-signed identity the kernel needs to keep threads under a login provider
 * (see chatwidget/_identity.py). */
async function serverIdentity(): Promise<string | null> {
  const identity = (await serverJson("chatwidget/api/identity"))?.identity;
  return typeof identity === "string" && identity.length <= 2048 ? identity : null;
}

/** Whether the page's server writes the saved-notebook copy as HTML when it saves (see
 * chatwidget/saved_copy.py). */
async function serverSavesCopy(): Promise<boolean> {
  return (await serverJson("chatwidget/api/features"))?.copy_html_at_save === true;
}

export interface ChatOptions {
  /** A stored conversation shown without a kernel: no composer, no header tools, no requests. */
  readOnly?: boolean;
  /** Whether the page lets us use frames (custom elements, PDFs). */
  framesAllowed?: boolean;
  /** Where sandboxed frames (custom elements, plotly) load their document from when the page
   * forbids inline frames; they are then shown even if `framesAllowed` is false. */
  frameDocumentUrl?: string | null;
}

const PAGE = 50;
/** Pixels from the bottom that still count as "at the bottom". */
const STICK_SLACK = 48;

type ItemView = MessageView | StepView;

export interface ChatRoot extends HTMLElement {
  __chatwidget?: { store: ChatStore };
}

export class ChatView implements ExtrasHost, PageHost {
  readonly root: ChatRoot;
  readonly readOnly: boolean;
  readonly framesAllowed: boolean;
  readonly frameDocumentUrl: string | null;
  private readonly header: Header;
  private readonly banner = el("div", "cw-banner");
  /** Shown once the kernel behind the chat restarted or died. */
  private readonly lostBanner = el("div", "cw-banner cw-disconnected-banner");
  private readonly storageBanner = el("div", "cw-storage-error");
  private readonly storageText = el("span", "cw-storage-text");
  private storageDismissed = "";
  private readonly main = el("div", "cw-main");
  private readonly side = el("aside", "cw-side");
  private readonly sideBody = el("div", "cw-side-body");
  private readonly sideTitle = el("span", "cw-side-title");
  private sideView: ElementView | null = null;
  private readonly overlay = el("div", "cw-page");
  private readonly overlayBody = el("div", "cw-page-body");
  private readonly overlayTitle = el("span", "cw-page-title");
  private pageView: ElementView | null = null;
  private readonly starters = el("div", "cw-starters");
  private readonly intro = el("div", "cw-profile-intro");
  private introKey = "";
  private startersKey = "";
  private readonly settingsPanel: SettingsPanel;
  private readonly mcpPanel: McpPanel;
  private readonly threadsPanel: ThreadsPanel;
  private readonly scroller = el("div", "cw-messages");
  private readonly earlier = el("button", "cw-load-earlier");
  private readonly flow = el("div", "cw-flow");
  private readonly composer: Composer;
  private readonly pending: PendingList;
  private readonly page: PageExtras;
  private readonly items = new Map<string, ItemView>();
  labels: Labels;
  private language = "\0";
  private readonly paging = new Paging(PAGE);
  private stick = true;
  private lastTop = 0;
  private lastSize = "";
  private readonly fit: Fit | null = null;
  private readonly images: ImageGate;
  private imagesKey = "";
  private frame = 0;
  private dirty = new Set<string>();
  private dirtyStructure = true;
  private dirtyMeta = true;
  private drawnConfig: ChatConfig | null = null;
  private readonly unsubscribe: () => void;
  private readonly stopHearingDrawing: () => void;
  /** This view's id, and whether it last told the kernel it draws a long text. */
  private readonly viewId = Math.random().toString(36).slice(2, 14);
  private drawingTold = false;
  private readonly observer: IntersectionObserver | null = null;
  private readonly resize: ResizeObserver | null = null;
  private disposed = false;

  constructor(host: HTMLElement, readonly store: ChatStore, options: ChatOptions = {}) {
    this.readOnly = !!options.readOnly;
    this.framesAllowed = options.framesAllowed !== false;
    this.frameDocumentUrl = options.frameDocumentUrl ?? null;
    this.labels = labelsFor(store.config.language);
    const root = el("div", "cw-root") as ChatRoot;
    this.root = root;
    root.dataset.instance = store.instance;
    root.__chatwidget = { store };
    if (this.readOnly) root.classList.add("cw-readonly");
    // Before anything is rendered into the root: it watches what markdown adds.
    this.images = new ImageGate(root, {
      hosts: store.imageHosts,
      appHosts: () => store.config.allowed_image_hosts,
      labels: () => this.labels,
      readOnly: this.readOnly,
    });
    const labels = this.labels;
    this.header = new Header(store, labels, this.readOnly);
    this.settingsPanel = new SettingsPanel(store, labels);
    this.mcpPanel = new McpPanel(store);
    this.header.addTool(this.mcpPanel.button);
    this.mcpPanel.button.addEventListener("click", () => {
      this.settingsPanel.close();
      this.threadsPanel.close();
      this.mcpPanel.toggle();
    });
    this.threadsPanel = new ThreadsPanel(
      store,
      labels,
      () => {
        this.header.threadsAvailable = false;
        this.header.update();
      },
      () => this.closeOverlays(),
    );
    this.header.settingsButton.addEventListener("click", () => {
      this.threadsPanel.close();
      this.mcpPanel.close();
      if (this.settingsPanel.isOpen) this.settingsPanel.close();
      else this.settingsPanel.open();
    });
    this.header.threadsButton.addEventListener("click", () => {
      this.settingsPanel.close();
      this.mcpPanel.close();
      if (this.threadsPanel.isOpen) this.threadsPanel.close();
      else this.threadsPanel.open();
    });
    this.storageBanner.setAttribute("role", "alert");
    this.storageBanner.hidden = true;
    const dismiss = el("button", "cw-storage-dismiss", "×");
    dismiss.type = "button";
    dismiss.title = labels.dismiss;
    dismiss.setAttribute("aria-label", labels.dismiss);
    dismiss.addEventListener("click", () => {
      this.storageDismissed = store.storageError;
      this.storageBanner.hidden = true;
    });
    this.storageBanner.append(this.storageText, dismiss);
    // The side area and the full-view overlay for elements shown with display side/page.
    const sideHead = el("div", "cw-panel-header");
    const sideClose = el("button", "cw-side-close cw-panel-close", "×");
    sideClose.type = "button";
    sideClose.title = labels.close;
    sideClose.setAttribute("aria-label", labels.close);
    sideClose.addEventListener("click", () => this.closeSide());
    sideHead.append(this.sideTitle, sideClose);
    this.side.append(sideHead, this.sideBody);
    this.side.hidden = true;
    const pageHead = el("div", "cw-panel-header");
    const pageClose = el("button", "cw-page-close cw-panel-close", "×");
    pageClose.type = "button";
    pageClose.title = labels.close;
    pageClose.setAttribute("aria-label", labels.close);
    pageClose.addEventListener("click", () => this.closePage());
    pageHead.append(this.overlayTitle, pageClose);
    this.overlay.setAttribute("role", "dialog");
    this.overlay.append(pageHead, this.overlayBody);
    this.overlay.hidden = true;
    this.overlay.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.closePage();
    });
    this.starters.hidden = true;
    this.intro.hidden = true;
    this.banner.setAttribute("role", "alert");
    this.banner.hidden = true;
    this.lostBanner.setAttribute("role", "alert");
    this.lostBanner.hidden = true;
    this.scroller.setAttribute("role", "log");
    this.scroller.setAttribute("aria-live", "polite");
    this.scroller.setAttribute("aria-relevant", "additions");
    this.scroller.tabIndex = 0;
    this.earlier.type = "button";
    this.earlier.hidden = true;
    this.earlier.addEventListener("click", () => this.loadEarlier(true));
    this.page = new PageExtras(this, this.labels);
    this.composer = new Composer(store, this.labels);
    // What the user sent and the kernel has not taken yet, after the conversation.
    this.pending = new PendingList(store.outbox, this.labels, (item) => this.composer.restore(item));
    this.scroller.append(this.earlier, this.flow, this.pending.el, this.intro, this.starters, this.page.empty);
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.composer.el.hidden = this.readOnly;
    this.main.append(this.scroller, this.page.sidebar, this.side);
    root.append(
      this.header.el,
      this.banner,
      this.lostBanner,
      this.storageBanner,
      this.main,
      this.page.bar,
      this.composer.el,
      this.page.toasts,
      this.settingsPanel.el,
      this.threadsPanel.el,
      this.mcpPanel.el,
      this.overlay,
    );
    if (!this.readOnly) {
      this.fit = new Fit(root, store.instance, labels);
      root.append(this.fit.handle);
    }
    host.append(root);

    if (typeof IntersectionObserver !== "undefined") {
      this.observer = new IntersectionObserver(
        (entries) => {
          const ready = this.paging.started && !this.paging.isFilling; // the first page comes in by itself
          if (entries.some((e) => e.isIntersecting) && !this.earlier.hidden && ready) this.loadEarlier(false);
        },
        { root: this.scroller, rootMargin: "200px 0px 0px 0px" },
      );
      this.observer.observe(this.earlier);
    }
    if (typeof ResizeObserver !== "undefined") {
      // Attached later, resized, images loaded, a step opened: keep following the bottom.
      // Images, plots and frames that load late grow the flow after it was rendered.
      this.resize = new ResizeObserver(() => {
        if (this.stick) this.scrollToBottom();
      });
      this.resize.observe(this.scroller);
      this.resize.observe(this.flow);
      this.resize.observe(this.pending.el);
    }
    this.unsubscribe = store.subscribe((change) => this.onChange(change));
    this.stopHearingDrawing = onDrawingChange(() => this.tellDrawing());
    this.flush();
    if (!this.readOnly) void this.hello();
  }

  // ---- element host ----------------------------------------------------------------------

  openElement(id: string, where: "side" | "page"): void {
    const desc = this.store.element(id);
    if (!desc) return;
    if (where === "side") {
      this.sideView?.dispose();
      this.sideView = new ElementView(this, id);
      this.sideView.update(desc, this.store.elementData(id));
      this.sideTitle.textContent = desc.name || "";
      this.sideBody.replaceChildren(this.sideView.el);
      this.side.hidden = false;
      this.side.dataset.elementId = id;
    } else {
      this.pageView?.dispose();
      this.pageView = new ElementView(this, id);
      this.pageView.update(desc, this.store.elementData(id));
      this.overlayTitle.textContent = desc.name || "";
      this.overlayBody.replaceChildren(this.pageView.el);
      this.overlay.hidden = false;
      this.overlay.dataset.elementId = id;
      (this.overlay.querySelector(".cw-page-close") as HTMLElement | null)?.focus();
    }
  }

  openImage(src: string, alt: string): void {
    this.pageView?.dispose();
    this.pageView = null;
    const img = el("img", "cw-page-image");
    img.src = src;
    img.alt = alt;
    this.overlayTitle.textContent = alt;
    this.overlayBody.replaceChildren(img);
    this.overlay.hidden = false;
    this.overlay.dataset.elementId = "";
    (this.overlay.querySelector(".cw-page-close") as HTMLElement | null)?.focus();
  }

  elementPropsChanged(id: string, props: Record<string, unknown>): void {
    if (!this.readOnly) void this.store.request(ELEMENT_PROPS, { element: id, props }).then((r) => this.reportFailure(r));
  }

  /** A request nobody else reports on (an element's calls) says why it failed, in a toast. */
  private reportFailure(reply: ReplyMessage): void {
    if (reply.ok || reply.error?.code === "cancelled" || this.disposed) return;
    const why = reply.error?.code === "timeout" ? this.labels.timeout : reply.error?.message || this.labels.error;
    this.page.toast(why, "error");
  }

  sendStarter(message: string, command?: string | null): void {
    void this.composer.sendStarter(message, command);
  }

  elementCall(id: string, call: string, fields: Record<string, unknown>): void {
    const kind = { action: ELEMENT_ACTION, delete: ELEMENT_DELETE, message: ELEMENT_MESSAGE }[call];
    if (!this.readOnly && kind) void this.store.request(kind, { ...fields, element: id }).then((r) => this.reportFailure(r));
  }

  elementSubmitted(id: string, data: unknown): void {
    if (!this.readOnly) this.composer.elementSubmitted(id, data);
  }

  private closeSide(): void {
    this.sideView?.dispose();
    this.sideView = null;
    this.sideBody.replaceChildren();
    this.side.hidden = true;
  }

  private closePage(): void {
    this.pageView?.dispose();
    this.pageView = null;
    this.overlayBody.replaceChildren();
    this.overlay.hidden = true;
  }

  private closeOverlays(): void {
    this.closeSide();
    this.closePage();
    this.settingsPanel.close();
  }

  /** Keep the side and page views in step with their element (closed when it goes). */
  private refreshOpen(): void {
    for (const [view, close] of [
      [this.sideView, () => this.closeSide()],
      [this.pageView, () => this.closePage()],
    ] as const) {
      if (!view) continue;
      const desc = this.store.element(view.id);
      if (!desc) close();
      else view.update(desc, this.store.elementData(view.id));
    }
  }

  /** While the chat is empty: the chosen profile's icon, name and markdown description. */
  private updateIntro(): void {
    const store = this.store;
    const profiles = this.readOnly || !store.empty ? [] : store.profiles;
    const chosen = profiles.find((p) => p.name === store.profile) ?? profiles.find((p) => p.default) ?? profiles[0];
    const key = chosen ? JSON.stringify([chosen.name, chosen.icon, chosen.markdown_description]) : "";
    if (key === this.introKey) return;
    this.introKey = key;
    this.intro.replaceChildren();
    this.intro.hidden = !chosen || (!chosen.markdown_description && profiles.length < 2);
    if (!chosen) return;
    const head = el("div", "cw-profile-intro-name");
    const icon = iconFor(chosen.icon, "cw-profile-icon", 22);
    if (icon) head.append(icon);
    head.append(el("span", "", chosen.name));
    const body = el("div", "cw-profile-description cw-markdown");
    if (typeof chosen.markdown_description === "string") body.append(renderMarkdown(chosen.markdown_description));
    this.intro.append(head, body);
  }

  private updateStarters(): void {
    this.updateIntro();
    const starters = this.readOnly || !this.store.empty ? [] : this.store.starters;
    const key = JSON.stringify(starters);
    if (key === this.startersKey) return;
    this.startersKey = key;
    this.starters.replaceChildren(
      ...starters.map((s) => {
        const b = el("button", "cw-starter");
        b.type = "button";
        const icon = iconFor(s.icon, "cw-starter-icon", 18);
        if (icon) b.append(icon);
        b.append(el("span", "cw-starter-label", typeof s.label === "string" && s.label ? s.label : s.message));
        b.title = s.message;
        b.addEventListener("click", () => void this.composer.sendStarter(s.message, s.command));
        return b;
      }),
    );
    this.starters.hidden = starters.length === 0;
  }

  private updateStorage(): void {
    const why = this.store.storageError;
    this.storageText.textContent = why ? `${this.labels.storageError}: ${why}` : "";
    this.storageBanner.hidden = !why || why === this.storageDismissed;
  }

  /**
   * Tell the kernel when this view starts or ends drawing a long text: its saved-notebook
   * copy waits meanwhile (each of its outputs would make the page lay out the text being
   * drawn, in the middle of drawing it).
   */
  private tellDrawing(): void {
    if (this.readOnly || this.disposed) return;
    const busy = this.root.querySelector(".cw-markdown[aria-busy]") !== null;
    if (busy === this.drawingTold) return;
    this.drawingTold = busy;
    void this.store.request(DRAWING, { view: this.viewId, busy });
  }

  dispose(): void {
    this.disposed = true;
    this.closeSide();
    this.closePage();
    this.page.dispose();
    this.composer.dispose();
    this.pending.dispose();
    for (const view of this.items.values()) view.dispose();
    this.unsubscribe();
    this.stopHearingDrawing();
    if (this.drawingTold) void this.store.request(DRAWING, { view: this.viewId, busy: false });
    this.observer?.disconnect();
    this.resize?.disconnect();
    this.fit?.dispose();
    this.images.dispose();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.root.remove();
  }

  private async hello(): Promise<void> {
    if (this.store.protocol !== undefined && this.store.protocol !== PROTOCOL_VERSION) this.showMismatch();
    const fields: Record<string, unknown> = { protocol: PROTOCOL_VERSION };
    const [identity, savesCopy] = await Promise.all([serverIdentity(), serverSavesCopy()]);
    if (this.disposed) return;
    if (identity) fields.identity = identity;
    if (savesCopy) fields.copy_html_at_save = true;
    const reply = await this.store.request(HELLO, fields);
    if (this.disposed) return;
    const result = reply.result as { protocol?: unknown } | undefined;
    const theirs = reply.ok ? result?.protocol : undefined;
    const refused = !reply.ok && /protocol/i.test(reply.error?.code ?? "");
    if (refused || (theirs !== undefined && String(theirs) !== PROTOCOL_VERSION)) this.showMismatch();
  }

  /** A chat whose kernel is gone says so and takes no more input (nothing would answer it). */
  private showConnection(lost: boolean): void {
    this.root.dataset.connection = lost ? "lost" : "live";
    this.lostBanner.textContent = lost ? this.labels.disconnected : "";
    this.lostBanner.hidden = !lost;
    this.composer.el.inert = lost;
    this.composer.el.classList.toggle("cw-composer-disconnected", lost);
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
    const dirtyExtras = new Set<string>();
    if (this.dirtyMeta) {
      this.dirtyMeta = false;
      const config = store.config;
      if (config.language !== this.language) {
        this.language = config.language;
        this.labels = labelsFor(config.language);
        this.earlier.textContent = this.labels.loadEarlier;
        this.scroller.setAttribute("aria-label", this.labels.messages);
        this.fit?.setLabels(this.labels);
        this.pending.setLabels(this.labels);
        if (!this.banner.hidden) this.showMismatch();
      }
      this.composer.setLabels(this.labels, config.placeholder);
      this.header.update();
      this.mcpPanel.update();
      this.updateStorage();
      const running = store.running;
      this.root.dataset.running = String(running);
      this.composer.update(running, config);
      this.showConnection(store.disconnected);
      const imagesKey = JSON.stringify([config.language, config.allowed_image_hosts ?? []]);
      if (imagesKey !== this.imagesKey) {
        this.imagesKey = imagesKey;
        this.images.refresh();
      }
      if (this.settingsPanel.isOpen && !this.settingsPanel.el.contains(document.activeElement)) this.settingsPanel.build();
      // Names, avatars and labels come from the config: every item shown is drawn again when
      // it changes. Nothing else in the traits touches every item (the store marks the step
      // a prompt is for; the stylesheet hides edit buttons while running), so a turn costs
      // the items that changed, not the items shown.
      if (config !== this.drawnConfig) {
        this.drawnConfig = config;
        for (const id of this.items.keys()) dirtyExtras.add(id);
      }
      if (running) for (const view of this.items.values()) if (view instanceof MessageView) view.handlerStarted();
    }
    if (this.dirtyStructure) {
      this.dirtyStructure = false;
      this.layout();
    }
    const dirty = this.dirty;
    this.dirty = new Set();
    for (const id of dirty) this.renderItem(id);
    for (const id of dirtyExtras) if (!dirty.has(id)) this.renderItem(id);
    this.refreshOpen();
    this.updateStarters();
    this.page.update();
    if (this.stick) this.scrollToBottom();
  }

  private renderItem(id: string): void {
    const view = this.items.get(id);
    const step = this.store.step(id);
    if (!view || !step) return;
    if (view instanceof MessageView) view.update(step, this.store.renderText(id), this.store.config, this.labels);
    else view.update(step, this.store.textOf(id), this.labels);
  }

  // ---- layout ------------------------------------------------------------------------------

  private layout(): void {
    const { top, children } = this.store.layout();
    const filling = this.paging.isFilling;
    const hidden = this.paging.layout(top, this.stick);
    if (this.paging.isFilling && !filling) this.fillAfterPaint();
    this.earlier.hidden = hidden === 0;
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
    place(this.flow, top, hidden);
    for (const [id, view] of this.items) {
      if (!placed.has(id)) {
        view.dispose();
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
      view.dispose();
      view = undefined;
    }
    if (!view) {
      view = wantMessage ? new MessageView(id, this.labels, this) : new StepView(id, this.labels, this);
      this.items.set(id, view);
      this.renderItem(id);
    }
    return view;
  }

  /** One more page above; `byReader`: the reader asked (clicked), so the view reads back
   * and stops following the bottom, whether or not a scroll event has said so yet. */
  private loadEarlier(byReader: boolean): void {
    if (byReader) this.stick = false;
    if (!this.paging.earlier(this.store.layout().top)) return;
    this.layoutKeepingPlace();
  }

  /** The rest of the first page, a screenful per frame once the first one is on screen: a
   * long thread paints its newest messages without waiting for fifty to be rendered. */
  private fillAfterPaint(): void {
    afterFrame(() => {
      if (this.disposed || !this.paging.isFilling) return;
      if (this.paging.fill(this.store.layout().top)) this.layoutKeepingPlace();
      if (this.paging.isFilling) this.fillAfterPaint();
    });
  }

  /** Items were added above: the reader sees the same messages where they were. */
  private layoutKeepingPlace(): void {
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    this.layout();
    if (this.stick) this.scrollToBottom();
    else this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
  }

  // ---- scrolling ---------------------------------------------------------------------------

  /**
   * Follow the bottom until the user scrolls up. Content growing below does not move
   * scrollTop, so only a move up (by the user) lets go; coming back near the bottom follows
   * again.
   */
  private onScroll(): void {
    const s = this.scroller;
    const top = s.scrollTop;
    const fromBottom = s.scrollHeight - top - s.clientHeight;
    // The list itself was resized (a panel dragged wider): its content reflowed and moved
    // scrollTop, which is not the reader scrolling up.
    const size = `${s.clientWidth}x${s.clientHeight}`;
    const resized = size !== this.lastSize;
    this.lastSize = size;
    if (this.stick && resized && top < this.lastTop - 1) {
      this.scrollToBottom();
      return;
    }
    if (fromBottom <= STICK_SLACK && !(top < this.lastTop - 1 && fromBottom > 2)) this.stick = true;
    else if (top < this.lastTop - 1) this.stick = false;
    this.lastTop = top;
  }

  private scrollToBottom(): void {
    const s = this.scroller;
    s.scrollTop = s.scrollHeight;
    this.lastTop = s.scrollTop;
  }
}
