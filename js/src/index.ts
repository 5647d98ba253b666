// The anywidget module. `initialize` builds one store per model (model listeners are set
// up once per model); `render` builds one chat view per view over that store. Both return
// their cleanup. Stores are keyed by the `instance` trait, because anywidget hands
// `initialize` and `render` different wrapper objects for the same model.
import type { AnyModel, Initialize, Render } from "@anywidget/types";
import { libraryKey } from "./protocol";
import { StoreRegistry } from "./registry";
import { ChatStore } from "./store";
import { ChatView } from "./views/chat";

function instanceOf(model: AnyModel): string {
  const id = model.get("instance");
  return typeof id === "string" ? id : "";
}

const stores = new StoreRegistry<AnyModel, ChatStore>(instanceOf, (model, key) => new ChatStore(model, key));

const initialize: Initialize = ({ model }) => {
  const store = stores.acquire(model);
  return () => stores.release(model, store);
};

const render: Render = ({ model, el }) => {
  const store = stores.acquire(model);
  const view = new ChatView(el, store);
  return () => {
    view.dispose();
    stores.release(model, store);
  };
};

/** A stored thread as the share page gets it (public fields only). */
export interface SharedThread {
  id?: string;
  name?: string | null;
  createdAt?: string | null;
  steps?: Record<string, unknown>[];
  elements?: Record<string, unknown>[];
}

/** What the share page gives besides the thread. */
export interface SharedOptions {
  /** The sandboxed frames' document, served with a CSP of its own (see ChatOptions). */
  frameDocumentUrl?: string | null;
  /** Front-end libraries by name (plotly), as the kernel would ship them. */
  libraries?: Record<string, ArrayBuffer>;
}

/** A model that never changes and sends nothing: a stored thread, read-only. */
function staticModel(thread: SharedThread, libraries: Record<string, ArrayBuffer> = {}): AnyModel {
  const state: Record<string, unknown> = {
    title: typeof thread.name === "string" ? thread.name : "",
    instance: "",
    running: false,
    config: { cot: "full" },
  };
  const steps = Array.isArray(thread.steps) ? thread.steps.filter((s) => s && typeof s.id === "string") : [];
  const elements = Array.isArray(thread.elements) ? thread.elements.filter((e) => e && typeof e.id === "string") : [];
  const byStep = new Map<string, string[]>();
  for (const e of elements) {
    state[`e${e.id}`] = e;
    const owner = typeof e.forId === "string" ? e.forId : "";
    if (!byStep.has(owner)) byStep.set(owner, []);
    byStep.get(owner)?.push(String(e.id));
  }
  steps.forEach((step, slot) => {
    state[`s${slot}`] = { ...step, streaming: false, slot, elements: byStep.get(String(step.id)) ?? [] };
  });
  state.head = steps.length;
  for (const [name, data] of Object.entries(libraries)) state[libraryKey(name)] = { data };
  const noop = () => undefined;
  return { get: (key: string) => state[key], set: noop, on: noop, off: noop, send: noop, save_changes: noop } as unknown as AnyModel;
}

/**
 * Render a stored thread read-only (the share page): the same message, step, markdown and
 * element renderers and the same sanitizer, with no composer and no kernel. Element bytes
 * are fetched from each element's `url` (relative to the page). Returns a cleanup.
 */
export function renderShared(el: HTMLElement, thread: SharedThread, options: SharedOptions = {}): () => void {
  const store = new ChatStore(staticModel(thread ?? {}, options.libraries), "", false);
  const view = new ChatView(el, store, {
    readOnly: true,
    framesAllowed: false,
    frameDocumentUrl: options.frameDocumentUrl ?? null,
  });
  return () => {
    view.dispose();
    store.dispose();
  };
}

export default { initialize, render, renderShared };
