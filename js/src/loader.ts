// The module every chat's widget state carries (`_esm`): a few KB that find the front end
// once per page, so that neither the websocket nor a saved notebook carries the bundle per
// chat. The kernel writes the bundle's build id (a hash of chatwidget.js and .css) in place
// of BUILD_ID. The bundle comes from:
//   1. the Jupyter server (`{base}chatwidget/static/chatwidget.js?v=<build>`, the server
//      extension's files), which answers only when its files are this very build, and lets
//      the browser cache them for good;
//   2. else the kernel (standalone Voila, a server without the extension): asked once per
//      page through anywidget's command channel; the script and CSS come as binary buffers.
// Every chat of the page shares one promise of the bundle (kept on globalThis by build id:
// anywidget evaluates this module once per widget model).
import type { Experimental, Initialize, Render } from "@anywidget/types";

/** The build id, written in by the kernel (chatwidget/assets.py). */
const BUILD = "__CHATWIDGET_BUILD_ID__";
/** The kernel reads the bundle from disk and sends it whole: give a busy kernel time. */
const KERNEL_WAIT_MS = 60_000;

interface Bundle {
  initialize: Initialize;
  render: Render;
}

type Loading = Promise<Bundle | null>;

const pages = globalThis as typeof globalThis & { __chatwidgetBundles?: Record<string, Loading> };

function serverBase(): string | null {
  try {
    const node = document.getElementById("jupyter-config-data");
    const config = node?.textContent ? (JSON.parse(node.textContent) as { baseUrl?: unknown }) : null;
    if (config && typeof config.baseUrl === "string") return new URL(config.baseUrl, window.location.origin).href;
  } catch {
    /* not a Jupyter page */
  }
  return null;
}

function isBundle(mod: unknown): Bundle | null {
  const b = (mod as { default?: Partial<Bundle> } | null)?.default;
  return b && typeof b.render === "function" && typeof b.initialize === "function" ? (b as Bundle) : null;
}

function addStyle(css: { href?: string; text?: string }): void {
  const id = `chatwidget-css-${BUILD}`;
  if (document.getElementById(id)) return;
  let node: HTMLLinkElement | HTMLStyleElement;
  if (css.href) {
    node = Object.assign(document.createElement("link"), { rel: "stylesheet", href: css.href });
  } else {
    node = document.createElement("style");
    node.textContent = css.text ?? "";
  }
  node.id = id;
  document.head.append(node);
}

async function fromServer(): Promise<Bundle | null> {
  const base = serverBase();
  if (!base) return null;
  const url = (name: string) => new URL(`chatwidget/static/${name}?v=${BUILD}`, base).href;
  try {
    const bundle = isBundle(await import(/* @vite-ignore */ url("chatwidget.js")));
    if (bundle) addStyle({ href: url("chatwidget.css") });
    return bundle;
  } catch {
    return null; // no extension here, or another build of it
  }
}

function text(buffer: unknown): string {
  if (buffer instanceof ArrayBuffer || ArrayBuffer.isView(buffer)) return new TextDecoder().decode(buffer);
  return "";
}

async function fromKernel(experimental: Experimental): Promise<Bundle | null> {
  try {
    const [, buffers] = await experimental.invoke("bundle", { build: BUILD }, { signal: AbortSignal.timeout(KERNEL_WAIT_MS) });
    const [script, css] = (buffers ?? []).map(text);
    if (!script) return null;
    const url = URL.createObjectURL(new Blob([script], { type: "text/javascript" }));
    try {
      const bundle = isBundle(await import(/* @vite-ignore */ url));
      if (bundle) addStyle({ text: css });
      return bundle;
    } finally {
      URL.revokeObjectURL(url);
    }
  } catch {
    return null; // no kernel (a saved notebook): the transcript copy is what readers see
  }
}

/** The bundle, loaded once per page; a failed load is tried again by the next chat. */
function load(experimental: Experimental): Loading {
  const all = (pages.__chatwidgetBundles ??= {});
  let loading = all[BUILD];
  if (!loading) {
    loading = all[BUILD] = fromServer()
      .then((bundle) => bundle ?? fromKernel(experimental))
      .then((bundle) => {
        if (!bundle) delete all[BUILD];
        return bundle;
      });
  }
  return loading;
}

type Cleanup = () => void;

function cleanupOf(result: unknown): Cleanup | undefined {
  return typeof result === "function" ? (result as Cleanup) : undefined;
}

// anywidget waits for `initialize` before it hands the model its messages (for 2 s at most):
// it returns at once, and the bundle's own `initialize` runs when the bundle is there.
const initialize: Initialize = (props) => {
  let closed = false;
  let cleanup: Cleanup | undefined;
  void load(props.experimental).then(async (bundle) => {
    if (!bundle || closed) return;
    cleanup = cleanupOf(await bundle.initialize(props));
    if (closed) cleanup?.();
  });
  return () => {
    closed = true;
    cleanup?.();
  };
};

const render: Render = async (props) => {
  const bundle = await load(props.experimental);
  if (!bundle) return;
  return cleanupOf(await bundle.render(props));
};

export default { initialize, render };
