// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { labels } from "../src/i18n";
import { SHARE, THREADS } from "../src/protocol";
import type { ChatStore } from "../src/store";
import { ThreadsPanel } from "../src/views/threads";

type Reply = { ok: boolean; result?: unknown };

/** A store whose requests the test answers, one by one, in any order. */
function kernel() {
  const asked: { type: string; fields: unknown; answer: (r: Reply) => void }[] = [];
  const store = {
    request: (type: string, fields: unknown) => new Promise<Reply>((answer) => asked.push({ type, fields, answer })),
  } as unknown as ChatStore;
  return { store, asked };
}

const thread = { id: "t1", name: "blue whale", shared: false, createdAt: new Date().toISOString() };
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("sharing a thread from the list", () => {
  it("shows on the row drawn by a list that loaded while the kernel answered", async () => {
    globalThis.fetch = (() => Promise.reject(new Error("offline"))) as typeof fetch;
    const { store, asked } = kernel();
    const panel = new ThreadsPanel(store, labels("en"), () => undefined, () => undefined);
    document.body.append(panel.el);

    panel.open();
    asked[0].answer({ ok: true, result: { data: [{ ...thread }] } });
    await settle();
    // Opened again: a new load is asked for, and the old rows are still there to click.
    panel.open();
    panel.el.querySelector<HTMLButtonElement>(".cw-thread-share")?.click();
    expect(asked.map((a) => a.type)).toEqual([THREADS, THREADS, SHARE]);
    // The kernel answers in order: the list as it was before the share, then the share.
    asked[1].answer({ ok: true, result: { data: [{ ...thread }] } });
    await settle();
    asked[2].answer({ ok: true });
    await settle();

    const rows = panel.el.querySelectorAll<HTMLElement>(".cw-thread");
    expect(rows).toHaveLength(1);
    expect(rows[0].dataset.shared).toBe("true");
    expect(rows[0].querySelector(".cw-thread-share")?.getAttribute("aria-pressed")).toBe("true");
    // The next click unshares, from the state shown.
    rows[0].querySelector<HTMLButtonElement>(".cw-thread-share")?.click();
    expect(asked[3]).toMatchObject({ type: SHARE, fields: { thread: "t1", shared: false } });
  });
});
