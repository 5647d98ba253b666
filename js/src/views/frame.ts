// Sandboxed frames for code we do not trust on the page: custom elements (ESM source from
// the kernel). `<iframe sandbox="allow-scripts" srcdoc=…>`, never allow-same-origin: the
// frame has an opaque origin and reaches nothing of the page. The parent talks to it only
// with postMessage and accepts messages only when `event.source` is this frame's window.

/** The frame's document (also served by the server for pages that forbid inline frames):
 * waits for `init` (source and props), runs `render`, posts back. */
import FRAME_DOC from "./frame.html";

const MAX_HEIGHT = 800;

export interface FrameEvents {
  submit?: (data: unknown) => void;
  updateProps?: (props: Record<string, unknown>) => void;
  /** The reference's runtime calls: `callAction`, `deleteElement`, `sendUserMessage`. */
  call?: (call: string, fields: Record<string, unknown>) => void;
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
    } else if (m.type === "call" && typeof (m as { call?: unknown }).call === "string") {
      const { cw: _cw, type: _type, call, ...fields } = m as Record<string, unknown>;
      this.events.call?.(call as string, fields);
    }
  };

  /** `documentUrl`: load the frame's document from there (the same document, served with a
   * CSP of its own) instead of `srcdoc`, for pages whose CSP forbids inline frames. */
  constructor(
    source: string,
    props: Record<string, unknown>,
    private readonly events: FrameEvents,
    title: string,
    documentUrl: string | null = null,
  ) {
    this.source = source;
    this.props = props;
    this.el = document.createElement("iframe");
    this.el.className = "cw-frame";
    this.el.setAttribute("sandbox", "allow-scripts");
    this.el.setAttribute("referrerpolicy", "no-referrer");
    this.el.title = title;
    if (documentUrl) this.el.src = documentUrl;
    else this.el.srcdoc = FRAME_DOC;
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
