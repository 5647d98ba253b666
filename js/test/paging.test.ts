import { describe, expect, it } from "vitest";
import { Paging } from "../src/paging";

describe("paging of a long conversation", () => {
  it("shows the newest page first and reveals one more page per request", () => {
    const p = new Paging(50);
    expect(p.layout(0, true)).toBe(0);
    expect(p.started).toBe(false);
    expect(p.layout(180, false)).toBe(130);
    expect(p.started).toBe(true);
    expect(p.earlier()).toBe(true);
    expect(p.layout(180, false)).toBe(80);
    p.earlier();
    p.earlier();
    expect(p.layout(180, false)).toBe(0);
    expect(p.earlier()).toBe(false);
  });

  it("keeps at most two pages while following the bottom, and all that was revealed when not", () => {
    const p = new Paging(50);
    p.layout(60, true);
    expect(p.layout(200, true)).toBe(100); // following: the DOM holds two pages
    p.earlier();
    expect(p.layout(200, false)).toBe(50); // reading back: nothing is taken away
    expect(p.layout(20, false)).toBe(20); // the conversation shrank (a new chat)
  });
});
