// The anywidget module. `initialize` builds one store per model (model listeners are set
// up once per model); `render` builds one chat view per view over that store. Both return
// their cleanup. Stores are keyed by the `instance` trait, because anywidget hands
// `initialize` and `render` different wrapper objects for the same model.
import type { AnyModel, Initialize, Render } from "@anywidget/types";
import { ChatStore } from "./store";
import { ChatView } from "./views/chat";

interface Entry {
  store: ChatStore;
  refs: number;
}

const byInstance = new Map<string, Entry>();
const byModel = new WeakMap<AnyModel, Entry>();

function instanceOf(model: AnyModel): string {
  const id = model.get("instance");
  return typeof id === "string" ? id : "";
}

function acquire(model: AnyModel): Entry {
  const key = instanceOf(model);
  let entry = key ? byInstance.get(key) : byModel.get(model);
  if (!entry) {
    entry = { store: new ChatStore(model, key), refs: 0 };
    if (key) byInstance.set(key, entry);
    else byModel.set(model, entry);
  }
  entry.refs++;
  return entry;
}

function release(model: AnyModel, entry: Entry): void {
  entry.refs--;
  if (entry.refs > 0) return;
  entry.store.dispose();
  const key = entry.store.instance;
  if (key && byInstance.get(key) === entry) byInstance.delete(key);
  else byModel.delete(model);
}

const initialize: Initialize = ({ model }) => {
  const entry = acquire(model);
  return () => release(model, entry);
};

const render: Render = ({ model, el }) => {
  const entry = acquire(model);
  const view = new ChatView(el, entry.store);
  return () => {
    view.dispose();
    release(model, entry);
  };
};

export default { initialize, render };
