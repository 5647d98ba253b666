// One store per widget model, shared by its views and counted: anywidget calls `initialize`
// once per model and `render` once per view, with different wrapper objects for the same
// model, so stores are found by the model's `instance` trait (or by the object without one).
// The store is disposed when the last user lets go.

interface Entry<S> {
  store: S;
  refs: number;
}

export class StoreRegistry<M extends object, S extends { dispose(): void }> {
  private readonly byInstance = new Map<string, Entry<S>>();
  private readonly byModel = new WeakMap<M, Entry<S>>();

  constructor(
    private readonly instanceOf: (model: M) => string,
    private readonly create: (model: M, instance: string) => S,
  ) {}

  /** The store of this model (made on first use); every acquire needs one release. */
  acquire(model: M): S {
    const key = this.instanceOf(model);
    let entry = key ? this.byInstance.get(key) : this.byModel.get(model);
    if (!entry) {
      entry = { store: this.create(model, key), refs: 0 };
      if (key) this.byInstance.set(key, entry);
      else this.byModel.set(model, entry);
    }
    entry.refs++;
    return entry.store;
  }

  release(model: M, store: S): void {
    const key = this.instanceOf(model);
    const entry = key ? this.byInstance.get(key) : this.byModel.get(model);
    if (!entry || entry.store !== store || entry.refs <= 0) return;
    entry.refs--;
    if (entry.refs > 0) return;
    store.dispose();
    if (key) this.byInstance.delete(key);
    else this.byModel.delete(model);
  }

  /** How many users a model's store has (0 when it has none). */
  users(model: M): number {
    const key = this.instanceOf(model);
    return (key ? this.byInstance.get(key) : this.byModel.get(model))?.refs ?? 0;
  }
}
