// Sandboxed frames for code we do not trust on the page: custom elements (ESM source from
// the kernel). `<iframe sandbox="allow-scripts" srcdoc=…>`, never allow-same-origin: the
// frame has an opaque origin and reaches nothing of the page. The parent talks to it only
// with postMessage and accepts messages only when `event.source` is this frame's window.

/** The frame's document: waits for `init` (source and props), runs `render`, posts back. */
const FRAME_DOC = `<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;padding:0;background:transparent;font:14px system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328}
@media (prefers-color-scheme: dark){html,body{color:#e6e6e6}}
#root{padding:4px}</style></head><body><div id="root"></div><script type="module">
const root = document.getElementById("root");
let props = {}, mod = null, source = null;
const post = (m) => parent.postMessage(Object.assign({ cw: 1 }, m), "*");
const plain = (v) => { try { return JSON.parse(JSON.stringify(v === undefined ? null : v)); } catch (e) { return null; } };
function submit(data) { post({ type: "submit", data: plain(data) }); }
function updateProps(p) { props = Object.assign({}, props, plain(p) || {}); post({ type: "updateProps", props: plain(p) }); draw(); }
async function load(src) {
  try { return await import(URL.createObjectURL(new Blob([src], { type: "text/javascript" }))); }
  catch (e) { return await import("data:text/javascript;charset=utf-8," + encodeURIComponent(src)); }
}
async function draw() {
  if (!mod) return;
  const render = mod.render || (mod.default && mod.default.render) || mod.default;
  root.replaceChildren();
  try { if (typeof render === "function") await render({ props, el: root, submit, updateProps }); }
  catch (e) { root.textContent = "Error: " + (e && e.message || e); }
}
addEventListener("message", async (event) => {
  if (event.source !== parent) return;
  const m = event.data || {};
  if (m.type === "init") {
    props = m.props || {};
    if (m.source !== source) {
      source = m.source;
      try { mod = await load(String(m.source || "")); }
      catch (e) { root.textContent = "Error: " + (e && e.message || e); return; }
    }
    draw();
  } else if (m.type === "props") { props = m.props || {}; draw(); }
});
new ResizeObserver(() => post({ type: "resize", height: document.documentElement.scrollHeight })).observe(document.body);
post({ type: "ready" });
</script></body></html>`;

const MAX_HEIGHT = 800;

export interface FrameEvents {
  submit?: (data: unknown) => void;
  updateProps?: (props: Record<string, unknown>) => void;
}

export class SandboxFrame {
  readonly el: HTMLIFrameElement;
  private source: string;
  private props: Record<string, unknown>;
  private readonly onMessage = (event: MessageEvent) => {
    if (event.source !== this.el.contentWindow || !event.source) return;
    const m = event.data as { cw?: number; type?: string; data?: unknown; height?: unknown; props?: unknown };
    if (!m || typeof m !== "object" || m.cw !== 1) return;
    if (m.type === "ready") this.post({ type: "init", source: this.source, props: this.props });
    else if (m.type === "resize" && typeof m.height === "number" && Number.isFinite(m.height)) {
      this.el.style.height = `${Math.max(24, Math.min(MAX_HEIGHT, Math.ceil(m.height)))}px`;
    } else if (m.type === "submit") this.events.submit?.(m.data);
    else if (m.type === "updateProps" && m.props && typeof m.props === "object") {
      this.props = { ...this.props, ...(m.props as Record<string, unknown>) };
      this.events.updateProps?.(m.props as Record<string, unknown>);
    }
  };

  constructor(source: string, props: Record<string, unknown>, private readonly events: FrameEvents, title: string) {
    this.source = source;
    this.props = props;
    this.el = document.createElement("iframe");
    this.el.className = "cw-frame";
    this.el.setAttribute("sandbox", "allow-scripts");
    this.el.setAttribute("referrerpolicy", "no-referrer");
    this.el.title = title;
    this.el.srcdoc = FRAME_DOC;
    window.addEventListener("message", this.onMessage);
  }

  /** New source or props: the frame re-renders (it keeps its module when the source is the same). */
  update(source: string, props: Record<string, unknown>): void {
    this.source = source;
    this.props = props;
    this.post({ type: "init", source, props });
  }

  private post(message: unknown): void {
    // The frame's origin is opaque: "*" is the only target that reaches it. Nothing secret is sent.
    this.el.contentWindow?.postMessage(message, "*");
  }

  dispose(): void {
    window.removeEventListener("message", this.onMessage);
    this.el.remove();
  }
}
