import { describe, expect, it } from "vitest";
import { blockCuts } from "../src/views/content";

function pieces(text: string, every: number): string[] {
  const cuts = blockCuts(text, every);
  return cuts.map((end, i) => text.slice(i ? cuts[i - 1] : 0, end));
}

describe("long texts split into runs of whole blocks", () => {
  it("cuts only at block ends, and the runs join back to the text", () => {
    const text = Array.from({ length: 200 }, (_, i) => `Paragraph ${i} with some words.`).join("\n\n");
    const runs = pieces(text, 500);
    expect(runs.join("")).toBe(text);
    expect(runs.length).toBeGreaterThan(5);
    for (const run of runs.slice(0, -1)) expect(run.endsWith("\n\n")).toBe(true);
    for (const run of runs.slice(0, -1)) expect(run.length).toBeGreaterThanOrEqual(500);
  });

  it("never cuts inside a code fence or a math block, however long", () => {
    const code = "```python\n" + "x = 1\n\nprint(x)\n".repeat(500) + "```\n";
    const math = "$$\n" + "a + b \\\\\n\n".repeat(300) + "$$\n";
    const text = "Intro.\n\n" + code + "\nMiddle.\n\n" + math + "\nEnd.";
    const runs = pieces(text, 200);
    expect(runs.join("")).toBe(text);
    const fenced = runs.filter((r) => r.includes("```"));
    expect(fenced).toHaveLength(1);
    expect(fenced[0].split("```").length).toBe(3); // opened and closed in one run
    expect(runs.filter((r) => r.includes("$$"))).toHaveLength(1);
  });

  it("splits one huge paragraph at line breaks or spaces", () => {
    const text = "word ".repeat(20_000);
    const runs = pieces(text, 1000);
    expect(runs.join("")).toBe(text);
    expect(runs.length).toBeGreaterThan(20);
    for (const run of runs.slice(0, -1)) expect(run.endsWith(" ")).toBe(true);
    expect(Math.max(...runs.map((r) => r.length))).toBeLessThanOrEqual(4000);
  });

  it("gives a short text as one run", () => {
    expect(blockCuts("hello", 100)).toEqual([5]);
    expect(blockCuts("", 100)).toEqual([0]);
  });
});
