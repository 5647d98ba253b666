// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { markdownHtml } from "../src/markdown";
import { isBare, purify, sanitizeToFragment } from "../src/sanitize";

function html(fragment: DocumentFragment): string {
  const div = document.createElement("div");
  div.append(fragment);
  return div.innerHTML;
}

/** A small deterministic generator (the same texts on every run). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ["the", "answer", "is", "&amp;", "a < b", "x>y", "\"q\"", "'s", "&lt;i&gt;", "é", "—", "\u00a0", "`", "*", "_", "\\", "<", ">"];
/** Raw HTML and markup with attributes: the full sanitizer's part. */
const RAW_WORDS = ["<b>", "a<b", "<i onclick=x>", "<!-- c -->"];
const LINES = [
  (w: string) => w,
  (w: string) => `# ${w}`,
  (w: string) => `### ${w}`,
  (w: string) => `- ${w}`,
  (w: string) => `1. ${w}`,
  (w: string) => `3. ${w}`,
  (w: string) => `> ${w}`,
  (w: string) => `**${w}** and *${w}*`,
  (w: string) => `~~${w}~~ \`${w}\``,
  (w: string) => `${w}  `, // a hard break
  () => "---",
  () => "",
  () => "    indented code",
];
const OTHER_LINES = [
  (w: string) => `[${w}](https://example.org/${w})`,
  (w: string) => `<span onclick="x">${w}</span>`,
  (w: string) => `<p onclick=alert(1)>${w}</p>`,
  (w: string) => `<em\nonmouseover=alert(1)>${w}</em>`,
  (w: string) => `| ${w} | b |\n|---|---|\n| 1 | 2 |`,
  (w: string) => `https://example.org/${w}`,
];

/** Lines of prose and, in about half of the texts, now and then something else. */
function randomMarkdown(rnd: () => number): string {
  const pick = <T,>(list: T[]) => list[Math.floor(rnd() * list.length)];
  const mixed = rnd() < 0.5;
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    const other = mixed && rnd() < 0.2;
    const words = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick(other && rnd() < 0.5 ? RAW_WORDS : WORDS));
    lines.push(pick(other ? OTHER_LINES : LINES)(words.join(" ")));
  }
  return lines.join("\n");
}

describe("bare markup skips the full sanitizer, with the same result", () => {
  it("gives what the full sanitizer gives, for every bare rendering of random markdown", () => {
    const rnd = random(17);
    let bare = 0;
    for (let i = 0; i < 400; i++) {
      const rendered = markdownHtml(randomMarkdown(rnd));
      expect(html(sanitizeToFragment(rendered))).toBe(html(purify(rendered)));
      if (isBare(rendered)) bare++;
    }
    // Both kinds were met: the fast path was taken, and so was the full one.
    expect(bare).toBeGreaterThan(50);
    expect(bare).toBeLessThan(350);
  }, 60_000); // 400 renderings through jsdom: seconds on a busy machine, not a timing check

  it("plain prose is bare", () => {
    const prose = "# Title\n\nSome *words* and **more** with `code` & a < b, `<tags>` quoted.\n\n- one\n- two\n\n> quoted\n\n---\n";
    expect(isBare(markdownHtml(prose))).toBe(true);
  });

  it("anything with an attribute, a comment or another tag goes through the full sanitizer", () => {
    const hostile = [
      '<p onclick="alert(1)">x</p>',
      "<p/onclick=alert(1)>x</p>",
      "<P>x</P>",
      "<em\nonmouseover=alert(1)>x</em>",
      "<!-- <img src=x onerror=alert(1)> -->",
      "<p>ok</p><img src=x onerror=alert(1)>",
      "<svg><p>x</p></svg>",
      "<math><mi>x</mi></math>",
      "<strong >x</strong>",
      "<br/>",
      "<a href=\"javascript:alert(1)\">x</a>",
      "<pre><code class=\"jp-Notebook\">x</code></pre>",
      "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
      "<ul><li>x</li></ul><style>*{}</style>",
      "<p>x</p\n>",
      "<template><p>x</p></template>",
    ];
    for (const markup of hostile) {
      expect(isBare(markup), markup).toBe(false);
      const out = html(sanitizeToFragment(markup));
      expect(out).toBe(html(purify(markup)));
      expect(out).not.toMatch(/onclick|onerror|onmouseover|javascript:|<style|jp-Notebook/i);
    }
  });

  it("a bare fragment is inert until it is inserted", () => {
    const fragment = sanitizeToFragment("<p>a</p><ul><li>b</li></ul>");
    expect(fragment.childNodes).toHaveLength(2);
    expect(fragment.ownerDocument).not.toBe(document);
    document.body.append(fragment);
    expect(document.body.querySelector("li")?.ownerDocument).toBe(document);
  });
});
