// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { blockCuts } from "../src/views/content";
import { LONG_CODE, PIECE_CHARS, appendCode, findLongFence, longCodeBlock } from "../src/views/longcode";

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `line ${from + i} <b>&amp;</b>\n`).join("");

describe("long code blocks drawn in pieces", () => {
  it("puts whole lines in pieces of bounded size, and the text is the code", () => {
    const code = lines(40_000);
    const pre = longCodeBlock("python", code);
    const el = pre.querySelector("code")!;
    expect(el.className).toBe("hljs language-python");
    expect(el.textContent).toBe(code);
    const pieces = [...el.querySelectorAll(".cw-code-piece")];
    expect(pieces.length).toBeGreaterThan(code.length / PIECE_CHARS);
    for (const piece of pieces) {
      expect(piece.textContent!.length).toBeLessThanOrEqual(PIECE_CHARS);
      expect(piece.textContent!.endsWith("\n")).toBe(true);
    }
    expect(el.querySelector("b")).toBeNull(); // text, never markup
  });

  it("fills the last piece before starting another, before the line being written", () => {
    const code = document.createElement("code");
    const partial = document.createTextNode("still typ");
    code.append(partial);
    for (let i = 0; i < 300; i++) appendCode(code, lines(10, 10 * i), partial);
    expect(code.textContent).toBe(lines(3000) + "still typ");
    expect(code.lastChild).toBe(partial);
    const sizes = [...code.querySelectorAll(".cw-code-piece")].map((p) => p.textContent!.length);
    expect(sizes.slice(0, -1).every((n) => n > PIECE_CHARS - 200 && n <= PIECE_CHARS)).toBe(true);
  });

  it("keeps a line longer than a piece whole", () => {
    const code = document.createElement("code");
    const long = "x".repeat(3 * PIECE_CHARS) + "\n";
    appendCode(code, "short\n" + long + "after\n");
    expect([...code.children].map((p) => p.textContent)).toEqual(["short\n", long, "after\n"]);
  });

  it("finds a long fence at the start of a line, with what comes before and after", () => {
    const code = lines(20_000);
    expect(code.length).toBeGreaterThan(LONG_CODE);
    const found = findLongFence(`Intro *text*\n\n~~~~ sql extra\n${code}~~~~~\n\nAfter.\n`);
    expect(found).toEqual({ before: "Intro *text*\n\n", language: "sql", code, after: "\nAfter.\n" });
    expect(findLongFence("```\n" + code)?.code).toBe(code); // open to the end
    expect(findLongFence("```\nshort\n```\n\n" + "word ".repeat(LONG_CODE))).toBeNull();
    expect(findLongFence("- item\n\n  ```\n" + code)).toBeNull(); // indented: inside the item
    expect(findLongFence("```js\n" + code.slice(0, 100) + "```\n")).toBeNull(); // short
    expect(findLongFence("```bad<lang>\n" + code + "```\n")?.language).toBeNull();
  });

  it("is a run of its own when a long text is cut into runs", () => {
    const fence = "```\n" + lines(20_000) + "```\n";
    const text = "A paragraph.\n\nAnother one.\n\n" + fence + "\nAfter.\n";
    const cuts = blockCuts(text, 4_096);
    const start = text.indexOf("```");
    expect(cuts).toContain(start);
    expect(cuts).toContain(start + fence.length);
  });
});
