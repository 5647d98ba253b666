import { describe, expect, it } from "vitest";
import { blockCuts, blockEnds } from "../src/views/content";

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

/** Block ends as the scan defines them, line by line with the patterns alone (no shortcut). */
function referenceEnds(text: string): [number, boolean][] {
  const ends: [number, boolean][] = [];
  let fence: { char: string; len: number } | null = null;
  let math: string | null = null;
  let pos = 0;
  for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", pos)) {
    const line = text.slice(pos, nl);
    pos = nl + 1;
    if (fence) {
      const t = line.trim();
      if (t.length >= fence.len && t[0] === fence.char && t === fence.char.repeat(t.length)) {
        fence = null;
        ends.push([pos, false]);
      }
    } else if (math) {
      if (line.trimEnd().endsWith(math)) {
        math = null;
        ends.push([pos, false]);
      }
    } else {
      const m = /^\s*(`{3,}|~{3,})([^`]*)$/.exec(line);
      if (m && !(m[1][0] === "`" && m[2].includes("`"))) fence = { char: m[1][0], len: m[1].length };
      else if (/^\s{0,3}(?:\$\$|\\\[)/.test(line)) {
        const closer = line.trim().startsWith("$$") ? "$$" : "\\]";
        if (!line.trim().slice(2).endsWith(closer)) math = closer;
      } else if (line.trim() === "") ends.push([pos, true]);
    }
  }
  if (!ends.length || ends[ends.length - 1][0] < text.length) ends.push([text.length, !fence && !math]);
  return ends;
}

describe("the scan's shortcut for plain lines", () => {
  it("finds the same block ends as the patterns alone, on lines of every kind", () => {
    const lines = [
      "plain words", "  indented words", "\tafter a tab", "", "   ", "\t", "\r", "\u00a0", "\u00a0```",
      "```", "```python", "  ```", "~~~", "~~~~", "````", "``` not `closing", "`inline` code",
      "$$", "$$ x^2 $$", "  $$", "\\[", "\\]", "a \\]", "x $$", "~ tilde", "$ dollar", "\\ backslash",
      "- item", "# heading", "> quote", "| a | b |", "é accent", "\u3000wide space",
    ];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 40 }, () => lines[Math.floor(random() * lines.length)]).join(
        random() < 0.2 ? "\r\n" : "\n",
      );
      expect(blockEnds(text), JSON.stringify(text)).toEqual(referenceEnds(text));
    }
  });
});
