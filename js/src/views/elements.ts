// Elements shown with a message or step: text, image, file, pdf, audio, video, plotly,
// dataframe, tasklist, custom. Bytes come as a DataView (`b<id>`) and are shown through
// Blob URLs of a type we choose (never HTML), revoked when the view goes. Names, labels
// and props are set with textContent; URLs are http(s), blob: (ours) or relative only.
import { type Labels, fill } from "../i18n";
import type { ElementDict } from "../protocol";
import type { ChatStore } from "../store";
import { BodyView } from "./body";
import { withPdfTitle } from "../pdftitle";
import { SandboxFrame } from "./frame";
import { namedIcon } from "./icons";
import { el } from "./format";

export interface ElementHost {
  readonly store: ChatStore;
  readonly labels: Labels;
  /** Frames are refused by the page (the share page's CSP): show placeholders. */
  readonly framesAllowed: boolean;
  /** Sandboxed frames load their document from here (see ChatOptions.frameDocumentUrl). */
  readonly frameDocumentUrl: string | null;
  openElement(id: string, where: "side" | "page"): void;
  openImage(src: string, alt: string): void;
  /** A custom element called `submit(data)`. */
  elementSubmitted(id: string, data: unknown): void;
  /** A custom element called `updateProps(props)`: the kernel keeps them. */
  elementPropsChanged(id: string, props: Record<string, unknown>): void;
  /** A custom element called `callAction`, `deleteElement` or `sendUserMessage`. */
  elementCall?(id: string, call: string, fields: Record<string, unknown>): void;
}

/** http(s) or a relative reference; anything with another scheme is refused. */
export function safeUrl(url: unknown): string | null {
  if (typeof url !== "string" || !url.trim()) return null;
  const u = url.trim();
  if (/^https?:\/\//i.test(u)) return u;
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) || u.startsWith("//") || /^[\\]/.test(u)) return null;
  return u;
}

function bytesOf(view: DataView): Uint8Array<ArrayBuffer> {
  return new Uint8Array(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
}

/** The type a Blob URL gets: only kinds that never run script on the page's origin. */
function blobType(e: ElementDict): string {
  const mime = (e.mime || "").toLowerCase();
  switch (e.type) {
    case "pdf":
      return "application/pdf";
    case "image":
      return /^image\/(png|jpeg|gif|webp|bmp|avif|x-icon)$/.test(mime) ? mime : "image/png";
    case "audio":
      return /^audio\/[\w.+-]+$/.test(mime) ? mime : "audio/mpeg";
    case "video":
      return /^video\/[\w.+-]+$/.test(mime) ? mime : "video/mp4";
    default:
      return "application/octet-stream";
  }
}

const TASK_ICONS: Record<string, string> = { ready: "○", running: "◔", done: "✓", failed: "✗" };
const PAGE_ROWS = 20;

/** Appended to plotly.js (a UMD bundle that sets `self.Plotly`) to make a frame module. */
const PLOTLY_GLUE = `
;export async function render({ props, el }) {
  const figure = props.figure || {};
  el.style.minHeight = "360px";
  await self.Plotly.newPlot(el, figure.data || [], figure.layout || {}, { responsive: true, displaylogo: false });
}`;

/** One element, rendered once per change of its description or bytes. */
export class ElementView {
  readonly el: HTMLElement;
  private urls: string[] = [];
  private frame: SandboxFrame | null = null;
  private desc: ElementDict | null = null;
  private data: DataView | undefined;
  private generation = 0;

  constructor(private readonly host: ElementHost, readonly id: string) {
    this.el = el("div", "cw-element");
    this.el.dataset.elementId = id;
  }

  update(desc: ElementDict, data: DataView | undefined): void {
    if (desc === this.desc && data === this.data) return;
    const prev = this.desc;
    this.desc = desc;
    this.data = data;
    // A custom element keeps its frame: new props are posted in.
    if (this.frame && prev?.type === "custom" && desc.type === "custom") {
      void this.text().then((source) => this.frame?.update(source ?? "", this.props()));
      return;
    }
    this.clear();
    this.el.dataset.type = String(desc.type);
    this.render(desc);
  }

  private props(): Record<string, unknown> {
    const p = this.desc?.props;
    return p && typeof p === "object" ? (p as Record<string, unknown>) : {};
  }

  private clear(): void {
    this.generation++;
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    this.frame?.dispose();
    this.frame = null;
    this.el.replaceChildren();
  }

  dispose(): void {
    this.clear();
    this.el.remove();
  }

  /**
   * A URL for the element's content: a Blob URL of its bytes, or its own safe URL. A PDF for
   * the viewer (`titled`) carries the element's name as its title (see ../pdftitle.ts).
   */
  private src(desc: ElementDict, titled = false): string | null {
    if (this.data) {
      const bytes = titled && desc.name ? withPdfTitle(bytesOf(this.data), desc.name) : bytesOf(this.data);
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: blobType(desc) }));
      this.urls.push(url);
      return url;
    }
    return safeUrl(desc.url);
  }

  /** The element's bytes as text (fetched from its URL when it has no bytes). */
  private async text(): Promise<string | null> {
    if (this.data) return new TextDecoder().decode(bytesOf(this.data));
    const url = safeUrl(this.desc?.url);
    if (!url) return null;
    try {
      const res = await fetch(url, { credentials: "same-origin" });
      return res.ok ? await res.text() : null;
    } catch {
      return null;
    }
  }

  /** Run `fill` with the text once it is there, unless the element changed meanwhile. */
  private withText(fillIn: (text: string) => void): void {
    const gen = this.generation;
    void this.text().then((t) => {
      if (gen === this.generation && t !== null) fillIn(t);
    });
  }

  private caption(): HTMLElement {
    return el("div", "cw-element-name", this.desc?.name ?? "");
  }

  private downloadLink(desc: ElementDict, label?: string): HTMLAnchorElement | null {
    const href = this.src({ ...desc, type: "file" });
    if (!href) return null;
    const a = el("a", "cw-file-link", label ?? (desc.name || this.host.labels.download));
    a.href = href;
    a.download = desc.name || "download";
    a.rel = "noopener noreferrer";
    if (!href.startsWith("blob:")) a.target = "_blank";
    return a;
  }

  private render(desc: ElementDict): void {
    const labels = this.host.labels;
    switch (desc.type) {
      case "image": {
        const src = this.src(desc);
        if (!src) break;
        const img = el("img", `cw-image cw-size-${desc.size || "medium"}`);
        img.src = src;
        img.alt = desc.name || "";
        img.tabIndex = 0;
        img.setAttribute("role", "button");
        const open = () => this.host.openImage(src, desc.name || "");
        img.addEventListener("click", open);
        img.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            open();
          }
        });
        this.el.append(img);
        break;
      }
      case "text": {
        const body = new BodyView("cw-element-text", labels);
        this.el.append(this.caption(), body.el);
        this.withText((t) => body.update(t, desc.language || null, false));
        break;
      }
      case "pdf": {
        const src = this.src(desc, true);
        if (!src) break;
        this.el.append(this.caption());
        const viewer = (navigator as Navigator & { pdfViewerEnabled?: boolean }).pdfViewerEnabled !== false;
        if (viewer && this.host.framesAllowed) {
          const frame = el("iframe", "cw-pdf");
          frame.title = desc.name || "PDF";
          frame.src = `${src}#page=${Math.max(1, Number(desc.page) || 1)}`;
          this.el.append(frame);
        } else {
          this.el.append(el("div", "cw-element-note cw-pdf-note", labels.pdfNoViewer));
        }
        const link = this.downloadLink(desc);
        if (link) this.el.append(link);
        break;
      }
      case "audio":
      case "video": {
        const src = this.src(desc);
        if (!src) break;
        const media = desc.type === "audio" ? el("audio", "cw-audio") : el("video", "cw-video");
        media.controls = true;
        media.preload = "metadata";
        media.src = src;
        if (desc.autoPlay) media.autoplay = true;
        this.el.append(this.caption(), media);
        break;
      }
      case "plotly":
        this.renderPlotly(desc);
        break;
      case "dataframe":
        this.el.append(this.caption());
        this.withText((t) => this.el.append(new DataframeView(t, labels).el));
        break;
      case "tasklist":
        this.renderTasks();
        break;
      case "custom":
        this.renderCustom(desc);
        break;
      default: {
        const link = this.downloadLink(desc);
        if (link) this.el.append(link);
        else this.el.append(this.caption());
      }
    }
  }

  /** Whether code can be drawn in a sandboxed frame here (inline, or from the served document). */
  private get sandboxFrames(): boolean {
    return this.host.framesAllowed || this.host.frameDocumentUrl !== null;
  }

  private renderPlotly(desc: ElementDict): void {
    const labels = this.host.labels;
    const plotly = this.sandboxFrames ? this.host.store.library("plotly") : null;
    if (plotly) {
      // plotly.js runs in a sandboxed frame, like any code that draws from data we did not write.
      const gen = this.generation;
      this.el.append(this.caption());
      void this.text().then((figure) => {
        if (gen !== this.generation || figure === null) return;
        let props: Record<string, unknown> = {};
        try {
          props = { figure: JSON.parse(figure) as unknown };
        } catch {
          this.el.append(el("div", "cw-element-note", labels.plotlyUnavailable));
          return;
        }
        const name = desc.name || "plotly figure";
        this.frame = new SandboxFrame(plotly + PLOTLY_GLUE, props, {}, name, this.host.frameDocumentUrl);
        this.frame.el.classList.add("cw-plotly-frame");
        this.el.append(this.frame.el);
      });
      return;
    }
    const box = el("div", "cw-plotly-placeholder");
    box.append(el("div", "cw-element-note", labels.plotlyUnavailable));
    const title = el("div", "cw-plotly-title", desc.name || "");
    box.append(title);
    this.el.append(box);
    this.withText((t) => {
      try {
        const fig = JSON.parse(t) as { layout?: { title?: unknown } };
        const raw = fig?.layout?.title;
        const text = typeof raw === "string" ? raw : raw && typeof raw === "object" ? (raw as { text?: unknown }).text : "";
        if (typeof text === "string" && text) title.textContent = text;
      } catch {
        /* not JSON: the name stays */
      }
    });
    const link = this.downloadLink({ ...desc, name: `${desc.name || "figure"}.json` }, labels.downloadJson);
    if (link) box.append(link);
  }

  /**
   * A task panel, as the reference draws one: the list's status, how many tasks are done,
   * and each task with its status icon (a spinner while running). A task that names a
   * message (`forId`) brings it into view on click.
   */
  private renderTasks(): void {
    const props = this.props();
    const list = el("div", "cw-tasklist");
    list.setAttribute("role", "status");
    const tasks = (Array.isArray(props.tasks) ? props.tasks : []).filter((t) => t && typeof t === "object") as {
      title?: unknown;
      status?: unknown;
      forId?: unknown;
    }[];
    const statusOf = (t: { status?: unknown }) => (typeof t.status === "string" && t.status in TASK_ICONS ? t.status : "ready");
    const head = el("div", "cw-tasklist-head");
    const done = tasks.filter((t) => statusOf(t) === "done").length;
    head.append(
      el("span", "cw-tasklist-status", typeof props.status === "string" ? props.status : ""),
      el("span", "cw-tasklist-count", tasks.length ? `${done}/${tasks.length}` : ""),
    );
    const ol = el("ol", "cw-tasks");
    for (const t of tasks) {
      const status = statusOf(t);
      const li = el("li", `cw-task cw-task-${status}`);
      li.dataset.status = status;
      const icon = el("span", "cw-task-icon");
      icon.setAttribute("role", "img");
      icon.setAttribute("aria-label", status);
      if (status === "running") icon.append(el("span", "cw-spinner"));
      else icon.append((status === "done" && namedIcon("check", 14)) || TASK_ICONS[status]);
      const title = typeof t.title === "string" ? t.title : "";
      const forId = typeof t.forId === "string" && t.forId ? t.forId : "";
      let label: HTMLElement = el("span", "cw-task-title", title);
      if (forId) {
        const go = el("button", "cw-task-title cw-task-link", title);
        go.type = "button";
        go.addEventListener("click", () => {
          const target = this.el.closest(".cw-root")?.querySelector(`[data-step-id="${CSS.escape(forId)}"]`);
          target?.scrollIntoView({ block: "center", behavior: "smooth" });
        });
        label = go;
      }
      li.append(icon, label);
      ol.append(li);
    }
    list.append(head, ol);
    this.el.append(list);
  }

  private renderCustom(desc: ElementDict): void {
    if (!this.sandboxFrames) {
      this.el.append(el("div", "cw-element-note", this.host.labels.framesBlocked));
      return;
    }
    const gen = this.generation;
    void this.text().then((source) => {
      if (gen !== this.generation) return;
      this.frame = new SandboxFrame(
        source ?? "",
        this.props(),
        {
          submit: (data) => this.host.elementSubmitted(this.id, data),
          updateProps: (props) => this.host.elementPropsChanged(this.id, props),
          call: (call, fields) => this.host.elementCall?.(this.id, call, fields),
        },
        desc.name || "custom element",
        this.host.frameDocumentUrl,
      );
      this.el.append(this.frame.el);
    });
  }
}

/** A paged, sortable table of `{columns, rows, total}`. */
export class DataframeView {
  readonly el: HTMLElement;
  private columns: string[] = [];
  private rows: unknown[][] = [];
  private order: number[] = [];
  private sortBy = -1;
  private descending = false;
  private page = 0;
  private readonly table = el("table", "cw-dataframe-table");
  private readonly pager = el("div", "cw-pager");

  constructor(json: string, private readonly labels: Labels) {
    this.el = el("div", "cw-dataframe");
    let total = 0;
    try {
      const data = JSON.parse(json) as { columns?: unknown; rows?: unknown; total?: unknown };
      this.columns = Array.isArray(data.columns) ? data.columns.map((c) => String(c)) : [];
      this.rows = Array.isArray(data.rows) ? data.rows.filter(Array.isArray) : [];
      total = typeof data.total === "number" ? data.total : this.rows.length;
    } catch {
      this.el.append(el("div", "cw-element-note", labels.error));
      return;
    }
    this.order = this.rows.map((_, i) => i);
    const scroll = el("div", "cw-dataframe-scroll");
    scroll.append(this.table);
    this.el.append(scroll, this.pager);
    if (total > this.rows.length) {
      const note = fill(labels.rowsShown, { shown: this.rows.length.toLocaleString(), total: total.toLocaleString() });
      this.el.append(el("div", "cw-element-note cw-dataframe-note", note));
    }
    this.draw();
  }

  private sort(column: number): void {
    this.descending = this.sortBy === column ? !this.descending : false;
    this.sortBy = column;
    const key = (v: unknown): [number, number | string] =>
      v === null || v === undefined ? [2, 0] : typeof v === "number" ? [0, v] : [1, String(v)];
    this.order.sort((a, b) => {
      const [ka, va] = key(this.rows[a][column]);
      const [kb, vb] = key(this.rows[b][column]);
      if (ka !== kb) return ka - kb; // empty cells last either way
      const c = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
      return this.descending ? -c : c;
    });
    this.page = 0;
    this.draw();
  }

  private draw(): void {
    const head = el("thead");
    const tr = el("tr");
    this.columns.forEach((name, i) => {
      const th = el("th");
      th.setAttribute("aria-sort", this.sortBy === i ? (this.descending ? "descending" : "ascending") : "none");
      const button = el("button", "cw-sort", name);
      button.type = "button";
      if (this.sortBy === i) button.append(el("span", "cw-sort-mark", this.descending ? " ▼" : " ▲"));
      button.addEventListener("click", () => this.sort(i));
      th.append(button);
      tr.append(th);
    });
    head.append(tr);
    const body = el("tbody");
    const pages = Math.max(1, Math.ceil(this.order.length / PAGE_ROWS));
    this.page = Math.min(this.page, pages - 1);
    for (const index of this.order.slice(this.page * PAGE_ROWS, (this.page + 1) * PAGE_ROWS)) {
      const row = el("tr");
      for (let c = 0; c < this.columns.length; c++) {
        const v = this.rows[index][c];
        row.append(el("td", typeof v === "number" ? "cw-num" : "", v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v)));
      }
      body.append(row);
    }
    this.table.replaceChildren(head, body);
    this.pager.hidden = pages <= 1;
    const prev = el("button", "cw-page-prev", this.labels.previous);
    prev.type = "button";
    prev.disabled = this.page === 0;
    prev.addEventListener("click", () => {
      this.page--;
      this.draw();
    });
    const next = el("button", "cw-page-next", this.labels.next);
    next.type = "button";
    next.disabled = this.page >= pages - 1;
    next.addEventListener("click", () => {
      this.page++;
      this.draw();
    });
    this.pager.replaceChildren(prev, el("span", "cw-page-info", fill(this.labels.page, { n: this.page + 1, m: pages })), next);
  }
}

/** The elements of one step: inline ones rendered, side/page ones as links. */
export class ElementsView {
  readonly el: HTMLElement;
  private readonly inline = el("div", "cw-elements");
  private readonly links = el("div", "cw-element-links");
  private readonly views = new Map<string, ElementView>();
  private lastKey = "";
  private lastIds: readonly string[] | undefined;
  /** Side and page elements linked where the message's text names them: no link below. */
  private referenced = new Set<string>();

  constructor(private readonly host: ElementHost) {
    this.el = el("div", "cw-element-area");
    this.el.append(this.inline, this.links);
    this.el.hidden = true;
  }

  /** The side and page elements the text links to itself (see ./references.ts). */
  setReferenced(ids: Set<string>): void {
    if (ids.size === this.referenced.size && [...ids].every((id) => this.referenced.has(id))) return;
    this.referenced = ids;
    this.update(this.lastIds);
  }

  update(ids: readonly string[] | undefined): void {
    this.lastIds = ids;
    const store = this.host.store;
    const list = Array.isArray(ids) ? ids.filter((i) => typeof i === "string") : [];
    const inline: string[] = [];
    const linked: ElementDict[] = [];
    for (const id of list) {
      const desc = store.element(id);
      if (!desc) continue;
      if (desc.display === "side" || desc.display === "page") {
        if (!this.referenced.has(id)) linked.push(desc);
      }
      else inline.push(id);
    }
    // Inline elements: keep, update, or drop their views.
    const keep = new Set(inline);
    for (const [id, view] of this.views) {
      if (!keep.has(id)) {
        view.dispose();
        this.views.delete(id);
      }
    }
    let at = this.inline.firstElementChild;
    for (const id of inline) {
      let view = this.views.get(id);
      if (!view) this.views.set(id, (view = new ElementView(this.host, id)));
      view.update(store.element(id) as ElementDict, store.elementData(id));
      if (at !== view.el) this.inline.insertBefore(view.el, at);
      else at = at.nextElementSibling;
    }
    // Links: rebuilt only when they change.
    const key = JSON.stringify(linked.map((e) => [e.id, e.name, e.display]));
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.links.replaceChildren(
        ...linked.map((e) => {
          const a = el("button", "cw-element-link", e.name || e.type);
          a.type = "button";
          a.dataset.elementId = e.id;
          a.dataset.display = String(e.display);
          a.addEventListener("click", () => this.host.openElement(e.id, e.display === "page" ? "page" : "side"));
          return a;
        }),
      );
    }
    this.inline.hidden = inline.length === 0;
    this.links.hidden = linked.length === 0;
    this.el.hidden = inline.length === 0 && linked.length === 0;
  }

  dispose(): void {
    for (const view of this.views.values()) view.dispose();
    this.views.clear();
  }
}
