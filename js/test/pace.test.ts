import { describe, expect, it } from "vitest";
import { FrameBudget } from "../src/views/pace";

/** A budget on a clock the test moves: one call of `frame(dt)` is the next frame. */
function paced() {
  let now = 0;
  const budget = new FrameBudget(() => now);
  const frame = (dt = 16.7) => {
    now += dt;
    return budget.left();
  };
  return { budget, frame };
}

describe("frame budget", () => {
  it("is shared within a frame and renewed by the next", () => {
    const { budget, frame } = paced();
    const first = frame();
    budget.spend(first - 100);
    expect(budget.left()).toBe(100);
    budget.spend(500);
    expect(budget.left()).toBe(0);
    expect(frame()).toBeGreaterThanOrEqual(first);
  });

  it("grows a little per quick frame, up to its most", () => {
    const { budget, frame } = paced();
    const start = frame();
    budget.drew(8);
    const next = frame();
    expect(next).toBeGreaterThan(start);
    expect(next - start).toBeLessThan(start / 4);
    let most = next;
    for (let i = 0; i < 100; i++) {
      budget.drew(8);
      most = frame();
    }
    expect(most).toBe(16_384);
  });

  it("halves when drawing a frame was slow, down to its least", () => {
    const { budget, frame } = paced();
    for (let i = 0; i < 100; i++) frame();
    const full = frame();
    budget.drew(45);
    expect(frame()).toBe(full / 2);
    for (let i = 0; i < 10; i++) budget.drew(90);
    expect(frame()).toBe(4_096);
  });

  it("halves after a late frame, but not after the page was idle", () => {
    const { budget, frame } = paced();
    for (let i = 0; i < 100; i++) frame();
    const full = frame();
    budget.drew(16);
    expect(frame(60)).toBe(full / 2);
    expect(frame(5_000)).toBe(full / 2);
  });

  it("does not grow while drawing is not quick, though frames are on time", () => {
    const { budget, frame } = paced();
    const start = frame();
    for (let i = 0; i < 20; i++) {
      budget.drew(25);
      expect(frame()).toBe(start);
    }
  });
});
