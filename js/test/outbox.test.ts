import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_HINT_MS, BUSY_RETRY_MS, type KeyValueStorage, RESEND_MS, canRetry, noticeOf } from "../src/outbox";
import { ChatStore } from "../src/store";
import { FakeModel, step } from "./fake-model";

class MemoryStorage implements KeyValueStorage {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

let instanceCount = 0;

function chat(state: Record<string, unknown> = {}, storage: KeyValueStorage | null = null, instance?: string) {
  const id = instance ?? `chat-${++instanceCount}`;
  const model = new FakeModel({ instance: id, ...state });
  const store = new ChatStore(model.asModel(), id, false, storage);
  return { model, store, outbox: store.outbox };
}

/** The kernel accepts a send: the user message's state (and running) first, then the reply. */
function accept(model: FakeModel, request: Record<string, unknown>, running = true): void {
  const slot = Number(model.get("head")) || 0;
  model.change({ [`s${slot}`]: step(`m${slot}`, { type: "user_message", output: request.content }), head: slot + 1, running });
  model.custom({ kind: "reply", id: request.id, ok: true, result: { message_id: `m${slot}` } });
}

function refuse(model: FakeModel, request: Record<string, unknown>, code: string, message = "no"): void {
  model.custom({ kind: "reply", id: request.id, ok: false, error: { code, message } });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("a message too large to ever send", () => {
  it("is refused before it is taken, and a message of a size that fits is not", () => {
    const { model, outbox } = chat();
    expect(outbox.refusal({ content: "x".repeat(9 * 1024 * 1024) })).toMatch(/^Too large to send to the kernel: 9\.0 MB/);
    expect(outbox.refusal({ content: "€".repeat(3 * 1024 * 1024) })).toMatch(/Too large/); // 3 bytes each
    expect(outbox.refusal({ content: "hello", command: "search", modes: { model: "fast" } })).toBe("");
    expect(outbox.items).toEqual([]);
    expect(model.requests("send")).toEqual([]);
  });
});

describe("a message typed while the kernel is free", () => {
  it("is shown at once, sent with its key, and leaves the outbox when the kernel takes it", async () => {
    const { model, outbox } = chat();
    const item = outbox.add({ content: "hello" });
    expect(outbox.items.map((i) => [i.content, i.state])).toEqual([["hello", "sending"]]);
    const [sent] = model.requests("send");
    expect(sent).toMatchObject({ content: "hello", key: item.key });
    accept(model, sent);
    await settle();
    expect(outbox.items).toEqual([]);
  });

  it("says why after ACK_HINT_MS without an answer: the kernel is busy running a cell", async () => {
    const { model, outbox } = chat();
    (model as unknown as { widget_manager: unknown }).widget_manager = { kernel: { status: "busy" } };
    const changes = vi.fn();
    outbox.subscribe(changes);
    outbox.add({ content: "typed during time.sleep(5)" });
    expect(outbox.items[0].slow).toBe(false);
    expect(noticeOf(outbox.items[0], outbox.kernelStatus)).toBe("sending");
    // The kernel takes comm messages on another thread and says "idle" after each, while the
    // cell still runs: the busy status seen at the send is what counts.
    (model as unknown as { widget_manager: { kernel: { status: string } } }).widget_manager.kernel.status = "idle";
    vi.advanceTimersByTime(ACK_HINT_MS);
    expect(outbox.items[0].slow).toBe(true);
    expect(noticeOf(outbox.items[0], outbox.kernelStatus)).toBe("kernelBusy");
    // The cell ends: the kernel takes the message.
    accept(model, model.requests("send")[0]);
    await settle();
    expect(outbox.items).toEqual([]);
    expect(changes).toHaveBeenCalled();
  });

  it("notes a busy kernel seen while the message waits", () => {
    const { model, outbox } = chat();
    const manager = { kernel: { status: "idle" } };
    (model as unknown as { widget_manager: unknown }).widget_manager = manager;
    outbox.add({ content: "x" });
    manager.kernel.status = "busy";
    vi.advanceTimersByTime(250);
    manager.kernel.status = "idle";
    vi.advanceTimersByTime(ACK_HINT_MS);
    expect(outbox.items[0]).toMatchObject({ slow: true, busySeen: true });
  });

  it("names a kernel that is not running, and one that is silent for no known reason", () => {
    const item = { key: "k", content: "x", command: null, modes: {}, fileNames: [], state: "sending", slow: true, busySeen: false, error: null } as const;
    expect(noticeOf(item, "dead")).toBe("kernelDown");
    expect(noticeOf(item, "restarting")).toBe("kernelDown");
    expect(noticeOf(item, null)).toBe("kernelSilent");
    expect(noticeOf(item, "idle")).toBe("kernelSilent");
    expect(noticeOf({ ...item, busySeen: true }, "idle")).toBe("kernelBusy");
  });

  it("sends the same key again after RESEND_MS unanswered (a long cell), and never gives up", async () => {
    const { model, outbox } = chat();
    const item = outbox.add({ content: "patience" });
    vi.advanceTimersByTime(RESEND_MS);
    await settle();
    vi.advanceTimersByTime(RESEND_MS);
    await settle();
    const sends = model.requests("send");
    expect(sends.length).toBe(3);
    expect(new Set(sends.map((s) => s.key))).toEqual(new Set([item.key]));
    expect(outbox.items[0].state).toBe("sending");
    // The kernel answers the last copy with the first delivery.
    model.custom({ kind: "reply", id: sends[2].id, ok: true, result: { message_id: "m0", duplicate: true } });
    await settle();
    expect(outbox.items).toEqual([]);
  });
});

describe("messages typed while an answer is running", () => {
  it("are queued, then sent one at a time in order, each after the previous answer", async () => {
    const { model, outbox } = chat({ running: true });
    outbox.add({ content: "first" });
    outbox.add({ content: "second" });
    expect(outbox.items.map((i) => i.state)).toEqual(["queued", "queued"]);
    expect(model.requests("send")).toEqual([]);
    model.change({ running: false }); // the answer ends
    await settle();
    expect(model.requests("send").map((s) => s.content)).toEqual(["first"]);
    accept(model, model.requests("send")[0]); // running again: answering "first"
    await settle();
    expect(outbox.items.map((i) => [i.content, i.state])).toEqual([["second", "queued"]]);
    expect(model.requests("send").length).toBe(1);
    model.change({ running: false });
    await settle();
    expect(model.requests("send").map((s) => s.content)).toEqual(["first", "second"]);
  });

  it("can be taken back (edit, cancel) while queued, not once sent", async () => {
    const { model, outbox } = chat({ running: true });
    const a = outbox.add({ content: "keep" });
    const b = outbox.add({ content: "drop" });
    expect(outbox.take(b.key)?.content).toBe("drop");
    expect(outbox.items.map((i) => i.content)).toEqual(["keep"]);
    model.change({ running: false });
    await settle();
    expect(outbox.take(a.key)).toBeNull(); // on its way: the kernel may have it already
    expect(outbox.items.length).toBe(1);
  });

  it("go straight away when the app takes messages while answering", () => {
    const { model, outbox } = chat({ running: true, config: { disable_while_running: false } });
    outbox.add({ content: "now" });
    expect(model.requests("send").map((s) => s.content)).toEqual(["now"]);
  });

  it("are put back in the queue when another view's message got in first (busy)", async () => {
    const { model, outbox } = chat();
    outbox.add({ content: "mine" });
    refuse(model, model.requests("send")[0], "busy");
    model.change({ running: true });
    await settle();
    expect(outbox.items[0].state).toBe("queued");
    vi.advanceTimersByTime(BUSY_RETRY_MS);
    expect(model.requests("send").length).toBe(1); // still running: held
    model.change({ running: false });
    await settle();
    const sends = model.requests("send");
    expect(sends.length).toBe(2);
    expect(sends[1].key).toBe(sends[0].key);
  });
});

describe("a refused message", () => {
  it("stays, says why, and can be sent again under its key", async () => {
    const { model, outbox } = chat();
    const item = outbox.add({ content: "/nope", command: "gone" });
    refuse(model, model.requests("send")[0], "bad_request", "Unknown command.");
    await settle();
    expect(outbox.items[0]).toMatchObject({ state: "failed", error: { code: "bad_request", message: "Unknown command." } });
    expect(noticeOf(outbox.items[0], null)).toBe("notSent");
    expect(canRetry(outbox.items[0])).toBe(true);
    outbox.retry(item.key);
    const sends = model.requests("send");
    expect(sends.length).toBe(2);
    expect(sends[1]).toMatchObject({ key: item.key, command: "gone" });
  });

  it("waits for its uploads, and fails with the upload's reason (the files must be attached again)", async () => {
    const { model, outbox } = chat();
    let finish: (ids: string[]) => void = () => undefined;
    outbox.add({ content: "with a file", files: new Promise((resolve) => (finish = resolve)), fileNames: ["a.txt"] });
    await settle();
    expect(model.requests("send")).toEqual([]);
    finish(["u1"]);
    await settle();
    expect(model.requests("send")[0]).toMatchObject({ files: ["u1"] });

    const other = chat();
    other.outbox.add({ content: "broken", files: Promise.reject(new Error("a.exe is not accepted")), fileNames: ["a.exe"] });
    await settle();
    expect(other.outbox.items[0]).toMatchObject({ state: "failed", error: { code: "upload", message: "a.exe is not accepted" } });
    expect(canRetry(other.outbox.items[0])).toBe(false);
    expect(other.model.requests("send")).toEqual([]);
  });
});

describe("a page reload", () => {
  it("keeps the queue: the messages are sent again under their keys", async () => {
    const storage = new MemoryStorage();
    const first = chat({ running: true }, storage, "reloaded");
    const a = first.outbox.add({ content: "one" });
    first.outbox.add({ content: "two", files: new Promise(() => undefined), fileNames: ["big.csv"] });
    first.store.dispose(); // the page goes away

    const again = chat({ running: false }, storage, "reloaded");
    expect(again.outbox.items.map((i) => [i.content, i.state, i.error?.code ?? null])).toEqual([
      ["one", "sending", null],
      ["two", "failed", "files_lost"], // its upload was cut off by the reload
    ]);
    expect(again.model.requests("send")[0]).toMatchObject({ content: "one", key: a.key });
    accept(again.model, again.model.requests("send")[0], false);
    await settle();
    expect(again.outbox.items.map((i) => i.content)).toEqual(["two"]);
    again.outbox.take(again.outbox.items[0].key);
    expect(storage.data.has("chatwidget:outbox:reloaded")).toBe(false);
  });

  it("keeps the draft for one composer of the chat", () => {
    const storage = new MemoryStorage();
    const first = chat({}, storage, "drafty");
    first.outbox.saveDraft("half a thought");
    first.store.dispose();
    const again = chat({}, storage, "drafty");
    expect(again.outbox.takeDraft()).toBe("half a thought");
    expect(again.outbox.takeDraft()).toBe(""); // the side panel's composer does not get it twice
    again.outbox.saveDraft("");
    expect(storage.data.has("chatwidget:draft:drafty")).toBe(false);
  });

  it("ignores a damaged saved queue", () => {
    const storage = new MemoryStorage();
    storage.setItem("chatwidget:outbox:damaged", '[{"key": 1}, null, "x", {"key": "k", "content": "ok"}');
    expect(chat({}, storage, "damaged").outbox.items).toEqual([]);
    storage.setItem("chatwidget:outbox:odd", JSON.stringify([{ key: 1 }, null, { key: "k", content: "ok", modes: { a: 1, b: "x" } }]));
    const { outbox } = chat({ running: true }, storage, "odd");
    expect(outbox.items.map((i) => [i.content, i.modes])).toEqual([["ok", { b: "x" }]]);
  });
});

it("sends nothing once the store is disposed", () => {
  const { model, store, outbox } = chat({ running: true });
  outbox.add({ content: "late" });
  store.dispose();
  model.change({ running: false });
  expect(model.requests("send")).toEqual([]);
});
