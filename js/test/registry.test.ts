import { describe, expect, it } from "vitest";
import { StoreRegistry } from "../src/registry";

class Store {
  disposed = 0;
  constructor(readonly instance: string) {}
  dispose(): void {
    this.disposed++;
  }
}

type Model = { instance?: string };

function registry(): StoreRegistry<Model, Store> {
  return new StoreRegistry<Model, Store>(
    (m) => m.instance ?? "",
    (_m, key) => new Store(key),
  );
}

describe("views share one store per model, counted", () => {
  it("gives two wrappers of one model the same store and disposes it after the last release", () => {
    const stores = registry();
    const initWrapper = { instance: "chat-1" };
    const viewWrapper = { instance: "chat-1" }; // anywidget's other object for the same model
    const a = stores.acquire(initWrapper);
    const b = stores.acquire(viewWrapper);
    const c = stores.acquire(viewWrapper); // a second view
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(stores.users(initWrapper)).toBe(3);
    stores.release(viewWrapper, b);
    stores.release(initWrapper, a);
    expect(a.disposed).toBe(0); // one view still shows it
    stores.release(viewWrapper, c);
    expect(a.disposed).toBe(1);
    expect(stores.users(initWrapper)).toBe(0);
    // A view opened later gets a fresh store, not the disposed one.
    const d = stores.acquire(viewWrapper);
    expect(d).not.toBe(a);
  });

  it("keeps models apart, and keys a model without an instance by the object itself", () => {
    const stores = registry();
    const one = stores.acquire({ instance: "one" });
    const two = stores.acquire({ instance: "two" });
    expect(one).not.toBe(two);
    const bare = {};
    const x = stores.acquire(bare);
    expect(stores.acquire(bare)).toBe(x);
    expect(stores.acquire({})).not.toBe(x);
  });

  it("ignores a release too many, or of a store that is not the model's", () => {
    const stores = registry();
    const m = { instance: "m" };
    const s = stores.acquire(m);
    stores.release(m, new Store("m"));
    stores.release(m, s);
    stores.release(m, s);
    expect(s.disposed).toBe(1);
  });
});
