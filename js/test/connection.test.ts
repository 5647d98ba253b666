import { describe, expect, it, vi } from "vitest";
import { MAX_REQUEST_BYTES } from "../src/protocol";
import { oversize } from "../src/protocol";
import { ChatStore } from "../src/store";
import { FakeModel, step } from "./fake-model";

/** A kernel connection as JupyterLab's: a status and a Lumino-like `statusChanged` signal. */
class FakeKernel {
  status = "idle";
  private readonly slots = new Set<() => void>();
  readonly statusChanged = {
    connect: (slot: () => void) => this.slots.add(slot),
    disconnect: (slot: () => void) => this.slots.delete(slot),
  };
  get listeners(): number {
    return this.slots.size;
  }
  set(status: string): void {
    this.status = status;
    for (const slot of [...this.slots]) slot();
  }
}

function liveStore(state: Record<string, unknown>) {
  const model = new FakeModel(state);
  const kernel = new FakeKernel();
  (model as unknown as { widget_manager: unknown }).widget_manager = { kernel };
  const store = new ChatStore(model.asModel(), "i1", true);
  return { model, kernel, store };
}

const streamingChat = {
  head: 3,
  running: true,
  s0: step("u", { type: "user_message", output: "hi" }),
  s1: step("t", { type: "tool", name: "search", start: "2024-01-01T00:00:00Z", end: null }),
  s2: step("a", { streaming: true, output: "" }),
};

describe("a kernel that restarts or dies", () => {
  for (const status of ["restarting", "autorestarting", "dead"]) {
    it(`ends the stream when the kernel is ${status}`, async () => {
      const { model, kernel, store } = liveStore(streamingChat);
      model.custom({ kind: "stream", seq: 1, deltas: [{ step: "a", offset: 0, text: "half an ans" }] });
      const waiting = store.request("stop", {});
      kernel.set("busy");
      expect(store.disconnected).toBe(false);
      kernel.set(status);
      expect(store.disconnected).toBe(true);
      expect(store.running).toBe(false);
      const answer = store.step("a");
      expect(answer?.streaming).toBe(false);
      expect(answer?.interrupted).toBe(true);
      expect(store.textOf("a")).toBe("half an ans");
      expect(store.step("t")?.interrupted).toBe(true);
      expect(store.step("u")?.interrupted).toBeUndefined();
      expect((await waiting).error?.code).toBe("disconnected");
      const later = await store.request("send", { content: "anyone?" });
      expect(later.error?.code).toBe("disconnected");
      expect(model.requests("send")).toHaveLength(0);
      expect(kernel.listeners).toBe(0);
    });
  }

  it("ends the stream when the widget manager marks the model not live", () => {
    const { model, store } = liveStore(streamingChat);
    model.trigger("comm_live_update");
    expect(store.disconnected).toBe(true);
    expect(store.step("a")?.interrupted).toBe(true);
  });

  it("stops watching when disposed", () => {
    const { model, kernel, store } = liveStore(streamingChat);
    const before = model.listening();
    store.dispose();
    expect(kernel.listeners).toBe(0);
    expect(model.listening()).toBeLessThan(before);
    expect(model.listening()).toBe(0);
  });

  it("never reports a stored thread (no kernel) lost", () => {
    const model = new FakeModel(streamingChat);
    const store = new ChatStore(model.asModel(), "i1", false);
    model.trigger("comm_live_update");
    expect(store.disconnected).toBe(false);
  });
});

describe("requests too large for the server's websocket", () => {
  it("refuses them before sending, with the size in the message", async () => {
    vi.useFakeTimers();
    const { model, store } = liveStore({});
    const reply = await store.request("send", { content: "x".repeat(11 * 1024 * 1024) });
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe("too_large");
    expect(reply.error?.message).toMatch(/11\.0 MB.*8\.0 MB/);
    const chunk = await store.request("upload_chunk", { upload: "u", offset: 0 }, [new ArrayBuffer(12 * 1024 * 1024)]);
    expect(chunk.error?.code).toBe("too_large");
    expect(model.sent).toHaveLength(0);
    vi.useRealTimers();
  });

  it("counts UTF-8 bytes, not characters", () => {
    const euro = "€".repeat(Math.ceil(MAX_REQUEST_BYTES / 3) + 10); // 3 bytes each
    expect(oversize({ content: euro })).not.toBe("");
    expect(oversize({ content: "a".repeat(MAX_REQUEST_BYTES - 100) })).toBe("");
    expect(oversize({ content: "x" }, [new ArrayBuffer(MAX_REQUEST_BYTES)])).not.toBe("");
  });
});
