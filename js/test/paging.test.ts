import { describe, expect, it } from "vitest";
import { Paging } from "../src/paging";

const items = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

describe("paging of a long conversation", () => {
  it("paints a screenful first, then fills the newest page a screenful at a time", () => {
    const p = new Paging(50, 12);
    expect(p.layout([], true)).toBe(0);
    expect(p.started).toBe(false);
    const ids = items(0, 180);
    expect(p.layout(ids, true)).toBe(168);
    expect(p.started).toBe(true);
    expect(p.isFilling).toBe(true);
    const steps: number[] = [];
    while (p.fill(ids)) steps.push(p.hidden);
    expect(steps).toEqual([156, 144, 132, 130]);
    expect(p.isFilling).toBe(false);
    expect(p.fill(ids)).toBe(false);
  });

  it("reveals one more page per request, and a request ends the filling", () => {
    const p = new Paging(50, 12);
    const ids = items(0, 180);
    p.layout(ids, false);
    expect(p.earlier(ids)).toBe(true);
    expect(p.isFilling).toBe(false);
    expect(p.layout(ids, false)).toBe(118);
    p.earlier(ids);
    p.earlier(ids);
    expect(p.layout(ids, false)).toBe(18);
    p.earlier(ids);
    expect(p.layout(ids, false)).toBe(0);
    expect(p.earlier(ids)).toBe(false);
  });

  it("keeps a page and a screenful while following the bottom, and all that was revealed when not", () => {
    const p = new Paging(50, 50);
    p.layout(items(0, 60), true);
    expect(p.layout(items(0, 200), true)).toBe(100); // following: a page and a screenful
    const q = new Paging(50, 12);
    q.layout(items(0, 60), true);
    expect(q.layout(items(0, 200), true)).toBe(138); // 62 shown
    p.earlier(items(0, 200));
    expect(p.layout(items(0, 200), false)).toBe(50); // reading back: nothing is taken away
    expect(p.layout(items(0, 230), false)).toBe(50); // new messages below: still there
  });

  it("keeps showing the same messages when older ones arrive before them", () => {
    const p = new Paging(50, 12);
    const newest = items(4000, 4050);
    expect(p.layout(newest, false)).toBe(38);
    const all = items(0, 4050); // a resumed thread's older steps came in
    expect(p.layout(all, false)).toBe(4038);
    expect(p.layout(all, true)).toBe(4038);
    expect(p.fill(all)).toBe(true);
    expect(p.hidden).toBe(4026);
  });

  it("starts again with a screenful after the conversation was emptied", () => {
    const p = new Paging(50, 12);
    p.layout(items(0, 100), true);
    expect(p.layout([], true)).toBe(0);
    expect(p.started).toBe(false);
    expect(p.layout(items(100, 300), true)).toBe(188);
    expect(p.isFilling).toBe(true);
  });

  it("keeps the count when the oldest shown item is gone (an edit took it)", () => {
    const p = new Paging(50, 12);
    p.layout(items(0, 100), false);
    expect(p.layout(items(0, 88).concat(items(90, 100)), false)).toBe(88);
  });
});
