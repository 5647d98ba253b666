import { afterEach, describe, expect, it, vi } from "vitest";
import { ChatStore, GrowingText, type StoreChange } from "../src/store";
import { FakeModel, step } from "./fake-model";

function storeOf(state: Record<string, unknown> = {}): { model: FakeModel; store: ChatStore; changes: StoreChange[] } {
  const model = new FakeModel(state);
  const store = new ChatStore(model.asModel(), "i1", false);
  const changes: StoreChange[] = [];
  store.subscribe((c) => changes.push({ steps: new Set(c.steps), structure: c.structure, meta: c.meta }));
  return { model, store, changes };
}

const stream = (deltas: Record<string, unknown>[], seq = 1) => ({ kind: "stream", seq, deltas });

afterEach(() => {
  vi.useRealTimers();
});

describe("snapshot, then deltas", () => {
  it("reads the steps a new view finds in the state", () => {
    const { store } = storeOf({
      head: 3,
      s0: step("u", { type: "user_message", output: "hi" }),
      s1: step("a", { output: "hello" }),
      s2: step("t", { type: "tool", parentId: "a", output: "found" }),
    });
    expect(store.stepIds()).toEqual(["u", "a", "t"]);
    expect(store.textOf("a")).toBe("hello");
    // A tool step under a message is shown at top level: messages are never containers.
    expect(store.layout().top).toEqual(["u", "a", "t"]);
    expect(store.empty).toBe(false);
  });

  it("appends stream deltas at the known length and announces the step", () => {
    const { model, store, changes } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "Hel" }]));
    model.custom(stream([{ step: "a", offset: 3, text: "lo" }], 2));
    expect(store.textOf("a")).toBe("Hello");
    expect(store.streamMessages).toBe(2);
    expect(store.lastSeq).toBe(2);
    expect(changes[changes.length - 1]?.steps.has("a")).toBe(true);
  });

  it("ignores covered deltas, appends only the uncovered part, and replaces on request", () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "abc" }]));
    model.custom(stream([{ step: "a", offset: 1, text: "b" }]));
    expect(store.textOf("a")).toBe("abc");
    model.custom(stream([{ step: "a", offset: 1, text: "bcde" }]));
    expect(store.textOf("a")).toBe("abcde");
    model.custom(stream([{ step: "a", offset: 0, text: "new", replace: true }]));
    expect(store.textOf("a")).toBe("new");
  });

  it("keeps the streamed text over a shorter streaming state, and takes the final state", () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "streamed text" }]));
    model.change({ s0: step("a", { streaming: true, output: "stre" }) });
    expect(store.textOf("a")).toBe("streamed text");
    model.change({ s0: step("a", { streaming: false, output: "final text" }) });
    expect(store.textOf("a")).toBe("final text");
  });

  it("follows new slots announced by head, and a removed step", () => {
    const { model, store, changes } = storeOf({ head: 1, s0: step("a", { output: "one" }) });
    model.change({ s1: step("b", { output: "two" }), head: 2 });
    expect(store.stepIds()).toEqual(["a", "b"]);
    expect(changes[changes.length - 1]?.structure).toBe(true);
    model.change({ s0: null });
    expect(store.stepIds()).toEqual(["b"]);
    expect(store.step("a")).toBeUndefined();
  });
});

describe("layout", () => {
  /** The layout made from scratch by a fresh store over the same state (a new page's
   * snapshot: the store took the steps it applied out of `model`). */
  const fresh = (state: Record<string, unknown>) => new ChatStore(new FakeModel(state).asModel(), "i2", false).layout();

  it("grows with a turn's new steps as a fresh layout would place them", () => {
    const before = { head: 2, s0: step("u", { type: "user_message" }), s1: step("r", { type: "run" }) };
    const { model, store } = storeOf(before);
    expect(store.layout().top).toEqual(["u", "r"]);
    const turn = { s2: step("t", { type: "tool", parentId: "r" }), s3: step("a", { parentId: "t" }), head: 4 };
    model.change(turn);
    const grown = store.layout();
    const snapshot = { ...before, ...turn };
    expect(grown.top).toEqual(fresh(snapshot).top);
    expect(grown.children).toEqual(fresh(snapshot).children);
    expect(grown.children.get("r")).toEqual(["t"]);
  });

  it("is made anew when a step arrives that others named as their parent", () => {
    const { model, store } = storeOf({ head: 1, s0: step("t", { type: "tool", parentId: "late" }) });
    expect(store.layout().top).toEqual(["t"]);
    model.change({ s1: step("late", { type: "run" }), head: 2 });
    expect(store.layout().top).toEqual(["late"]);
    expect(store.layout().children.get("late")).toEqual(["t"]);
  });

  it("is made anew when an old slot changes its step", () => {
    const { model, store } = storeOf({ head: 2, s0: step("u", { type: "user_message" }), s1: step("a") });
    expect(store.layout().top).toEqual(["u", "a"]);
    model.change({ s0: null });
    expect(store.layout().top).toEqual(["a"]);
    model.change({ s0: step("v", { type: "user_message" }) });
    expect(store.layout().top).toEqual(["v", "a"]);
  });
});

describe("held updates", () => {
  it("holds deltas for a step whose state has not arrived, and applies them when it does", () => {
    const { model, store } = storeOf();
    model.custom(stream([{ step: "late", offset: 0, text: "early " }]));
    model.custom(stream([{ step: "late", offset: 6, text: "words" }]));
    expect(store.step("late")).toBeUndefined();
    model.change({ s0: step("late", { streaming: true }), head: 1 });
    expect(store.textOf("late")).toBe("early words");
    expect(model.requests("resync")).toHaveLength(0);
  });

  it("drops held deltas when the final state arrives first", () => {
    const { model, store } = storeOf();
    model.custom(stream([{ step: "x", offset: 0, text: "partial" }]));
    model.change({ s0: step("x", { output: "the whole answer" }), head: 1 });
    expect(store.textOf("x")).toBe("the whole answer");
  });
});

describe("a gap asks for a resync", () => {
  it("sends one resync, holds later deltas, and applies them after the reply", async () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "abc" }]));
    model.custom(stream([{ step: "a", offset: 10, text: "KLM" }])); // 3..10 were lost
    model.custom(stream([{ step: "a", offset: 13, text: "NO" }]));
    const resyncs = model.requests("resync");
    expect(resyncs).toHaveLength(1);
    expect(resyncs[0].step).toBe("a");
    expect(store.resyncs).toBe(1);
    expect(store.textOf("a")).toBe("abc");
    model.custom({ kind: "reply", id: resyncs[0].id, ok: true, result: { step: step("a", { streaming: true, output: "abcdefghij" }) } });
    await vi.waitFor(() => expect(store.textOf("a")).toBe("abcdefghijKLMNO"));
  });

  it("gives up the held deltas when the resync fails; the final state carries the text", async () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 5, text: "late" }]));
    const [resync] = model.requests("resync");
    model.custom({ kind: "reply", id: resync.id, ok: false, error: { code: "not_found", message: "gone" } });
    await vi.waitFor(() => expect(store.resyncs).toBe(1));
    await Promise.resolve();
    expect(store.textOf("a")).toBe("");
    model.change({ s0: step("a", { output: "final" }) });
    expect(store.textOf("a")).toBe("final");
  });
});

describe("a final state without the streamed text", () => {
  it("keeps the text the deltas brought when its length is the kernel's", () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "streamed " }]));
    model.custom(stream([{ step: "a", offset: 9, text: "text" }], 2));
    model.change({ s0: step("a", { streaming: false, output: undefined, outputLength: 13 }) });
    expect(store.textOf("a")).toBe("streamed text");
    expect(store.step("a")?.streaming).toBe(false);
    expect(store.step("a")).not.toHaveProperty("outputLength");
    expect(model.requests("resync")).toHaveLength(0);
  });

  it("keeps growing the text when a streaming step's state leaves it out", () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "half " }]));
    model.change({ s0: step("a", { streaming: true, name: "Renamed", output: undefined, outputLength: 5 }) });
    model.custom(stream([{ step: "a", offset: 5, text: "whole" }], 2));
    expect(store.textOf("a")).toBe("half whole");
    expect(store.step("a")?.name).toBe("Renamed");
    expect(model.requests("resync")).toHaveLength(0);
  });

  it("asks for the whole step when a delta is missing, and takes the reply's text", async () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "stream" }]));
    model.change({ s0: step("a", { streaming: false, output: undefined, outputLength: 13 }) });
    const [resync] = model.requests("resync");
    expect(resync.step).toBe("a");
    expect(store.textOf("a")).toBe("stream"); // what there is, meanwhile
    model.custom({ kind: "reply", id: resync.id, ok: true, result: { step: step("a", { output: "streamed text" }) } });
    await vi.waitFor(() => expect(store.textOf("a")).toBe("streamed text"));
  });
});

describe("requests", () => {
  it("settle with the kernel's reply, a timeout, or a cancel when the store goes", async () => {
    vi.useFakeTimers();
    const { model, store } = storeOf();
    const answered = store.request("hello", { protocol: "1" });
    const [sent] = model.requests("hello");
    expect(sent.protocol).toBe("1");
    model.custom({ kind: "reply", id: sent.id, ok: true, result: { protocol: "1" } });
    expect((await answered).ok).toBe(true);
    const timedOut = store.request("stop", {});
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await timedOut).error?.code).toBe("timeout");
    const cancelled = store.request("stop", {});
    store.dispose();
    expect((await cancelled).error?.code).toBe("cancelled");
    expect(model.listening()).toBe(0);
  });

  it("show a reply's notice as a toast in the view that asked", async () => {
    const { model, store } = storeOf();
    const other = new ChatStore(model.asModel(), "i1", false); // another view of the same chat
    const toasts: unknown[] = [];
    const othersToasts: unknown[] = [];
    store.onEvent("toast", (m) => toasts.push({ message: m.message, type: m.type }));
    other.onEvent("toast", (m) => othersToasts.push(m));
    const notice = "1 character that could not be stored was replaced by \ufffd";
    const sent = store.request("send", { content: "broken \ud800" });
    const [request] = model.requests("send");
    model.custom({ kind: "reply", id: request.id, ok: true, result: { message_id: "m" }, notice });
    expect((await sent).notice).toBe(notice);
    const plain = store.request("stop", {});
    model.custom({ kind: "reply", id: model.requests("stop")[0].id, ok: true, result: { stopped: false } });
    await plain;
    expect(toasts).toEqual([{ message: notice, type: "warning" }]);
    expect(othersToasts).toEqual([]);
    other.dispose();
  });
});

describe("a stream's growing text", () => {
  it("reads any end without joining the rest, and joins once when asked", () => {
    const t = new GrowingText("abc");
    for (const piece of ["de", "", "fgh", "i"]) t.append(piece);
    expect(t.length).toBe(9);
    expect(t.from(9)).toBe("");
    expect(t.from(7)).toBe("hi");
    expect(t.from(4)).toBe("efghi");
    expect(t.from(0)).toBe("abcdefghi");
    expect(t.toString()).toBe("abcdefghi");
    t.append("j");
    expect(t.from(8)).toBe("ij");
  });

  it("reads every span of many small and large pieces as the joined text would", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const t = new GrowingText();
    let whole = "";
    for (let n = 0; n < 3000; n++) {
      const size = rnd() < 0.02 ? Math.floor(rnd() * 40_000) : Math.floor(rnd() * 8);
      const piece = String.fromCharCode(97 + (n % 26)).repeat(size) + (n % 7 ? "" : "\n");
      t.append(piece);
      whole += piece;
      if (n % 10 === 0) {
        const offset = Math.floor(rnd() * (whole.length + 2));
        const most = rnd() < 0.3 ? Infinity : Math.floor(rnd() * 70_000);
        expect(t.from(offset, most)).toBe(whole.slice(offset, offset + most));
      }
    }
    expect(t.length).toBe(whole.length);
    expect(t.from(0)).toBe(whole);
    expect(t.toString()).toBe(whole);
    t.append("end");
    expect(t.from(whole.length - 2)).toBe(whole.slice(-2) + "end");
  });

  it("is what a streaming step renders; a replaced text is another object", () => {
    const { model, store } = storeOf({ head: 1, s0: step("a", { streaming: true }) });
    model.custom(stream([{ step: "a", offset: 0, text: "Hel" }]));
    const growing = store.renderText("a");
    model.custom(stream([{ step: "a", offset: 3, text: "lo" }], 2));
    expect(store.renderText("a")).toBe(growing);
    expect(String(growing)).toBe("Hello");
    model.custom(stream([{ step: "a", offset: 0, text: "new", replace: true }], 3));
    expect(store.renderText("a")).not.toBe(growing);
    model.change({ s0: step("a", { streaming: false, output: "final" }) });
    expect(store.renderText("a")).toBe("final");
  });
});

describe("the widget model stays small", () => {
  it("takes applied steps out of the model's attributes and keeps showing them", () => {
    const { model, store } = storeOf({ head: 2, s0: step("u", { type: "user_message", output: "hi" }), s1: step("a") });
    model.change({ head: 3, s2: step("b", { output: "second" }) });
    // Every applied step left the model: a Backbone set copies every attribute it has.
    expect(Object.keys(model.state).filter((k) => /^s\d+$/.test(k))).toEqual([]);
    expect(store.stepIds()).toEqual(["u", "a", "b"]);
    model.change({ s1: step("a", { output: "edited" }) });
    expect(store.textOf("a")).toBe("edited");
    expect(model.state.s1).toBeUndefined();
    model.change({ title: "renamed" }); // any other change: nothing is lost or re-read
    expect(store.stepIds()).toEqual(["u", "a", "b"]);
    model.change({ s2: null }); // a removal still removes
    expect(store.stepIds()).toEqual(["u", "a"]);
  });
});
