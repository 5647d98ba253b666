// Canned conversations for the dev page and the browser checks.
const iso = (ms) => new Date(ms).toISOString();
const T0 = Date.parse("2025-01-15T09:41:00Z");

export const DEMO_ANSWER = `Here is what I found about **sorting** in Python.

| function | stable | returns |
|---|---|---|
| \`sorted(xs)\` | yes | a new list |
| \`xs.sort()\` | yes | \`None\` |

\`\`\`python
def median(xs: list[float]) -> float:
    s = sorted(xs)  # O(n log n)
    n = len(s)
    return (s[n // 2] + s[~n // 2]) / 2
\`\`\`

The mean of $n$ values is $\\bar x = \\frac{1}{n}\\sum_{i=1}^{n} x_i$, and the variance:

$$
\\sigma^2 = \\frac{1}{n}\\sum_{i=1}^{n} (x_i - \\bar x)^2
$$

See https://docs.python.org/3/howto/sorting.html for more. ~~Old advice~~ is gone.

1. First item
2. Second item with \`code\`
   - nested bullet

> A quote, for good measure.`;

export function demo(kernel) {
  kernel.add({ type: "system_message", name: "System", output: "Connected to **demo** kernel.", createdAt: iso(T0) });
  kernel.add({ type: "user_message", name: "User", output: "How do I compute a median in Python? And what's the variance formula?", createdAt: iso(T0 + 60_000) });
  const run = kernel.add({ type: "run", name: "on_message", createdAt: iso(T0 + 61_000), start: iso(T0 + 61_000), end: iso(T0 + 64_500), defaultOpen: true });
  const tool = kernel.add({
    type: "tool", name: "search_docs", parentId: run, showInput: "json", defaultOpen: true,
    input: '{"query": "median python", "k": 3}',
    output: '{"hits": [{"title": "statistics — Mathematical statistics functions", "score": 0.92}, {"title": "Sorting HOW TO", "score": 0.81}]}',
    start: iso(T0 + 61_100), end: iso(T0 + 62_340),
  });
  kernel.add({ type: "retrieval", name: "vector_store", parentId: tool, output: "3 documents", start: iso(T0 + 61_200), end: iso(T0 + 61_550) });
  kernel.add({ type: "llm", name: "gpt-4o", parentId: run, output: "(generation)", start: iso(T0 + 62_400), end: iso(T0 + 64_400) });
  kernel.add({ type: "assistant_message", name: "Assistant", parentId: run, output: DEMO_ANSWER, createdAt: iso(T0 + 64_500) });
  kernel.add({ type: "user_message", name: "User", output: "Run it on my data", createdAt: iso(T0 + 90_000) });
  kernel.add({ type: "tool", name: "python_exec", language: "python", isError: true, showInput: "python", input: "median(data)", output: "Traceback (most recent call last):\n  File \"<cell>\", line 1\nNameError: name 'data' is not defined", start: iso(T0 + 90_100), end: iso(T0 + 90_180), defaultOpen: true });
  kernel.add({ type: "assistant_message", name: "Assistant", isError: true, output: "An error occurred: `NameError: name 'data' is not defined`", createdAt: iso(T0 + 90_200) });
  kernel.add({ type: "tool", name: "fetch_dataset", start: iso(Date.now()), defaultOpen: false });
  const streaming = kernel.add({ type: "assistant_message", name: "Assistant", streaming: true, output: "", createdAt: iso(T0 + 91_000) });
  return { streaming };
}

export const HOSTILE = [
  `<img src=x onerror="window.__pwned=1">`,
  `[click](javascript:window.__pwned=2)`,
  `[click2](JaVaScRiPt:window.__pwned=3 "title")`,
  `[ref link][r]\n\n[r]: javascript:window.__pwned=4`,
  `<javascript:window.__pwned=5>`,
  `![img](javascript:window.__pwned=6)`,
  `[enc](&#106;avascript:window.__pwned=7)`,
  `[tab](java\tscript:window.__pwned=8)`,
  `<a href="java&#x09;script:window.__pwned=9">entity</a>`,
  `<a href=" javascript:window.__pwned=10">space</a>`,
  `<svg onload="window.__pwned=11"><circle r=5 /></svg>`,
  `<svg><a xlink:href="javascript:window.__pwned=12"><text y=10>x</text></a></svg>`,
  `<iframe srcdoc="<script>parent.__pwned=13</script>"></iframe>`,
  `<form action="javascript:window.__pwned=14"><input name=x><button>go</button></form>`,
  `<a data-commandlinker-command="notebook:run-all-cells" data-commandlinker-args="{}" href="#">run all</a>`,
  `<div class="jp-Dialog" style="position:fixed;inset:0;background:red">overlay</div>`,
  `<div class="cw-ok jp-Dialog">mixed classes</div>`,
  `<a id="__chatwidget_clobber" href="#">id</a><form name="getElementById"></form><img name="cookie" src="data:image/png;base64,iVBORw0KGgo=">`,
  `<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=15">`,
  `<noscript><p title="</noscript><img src=x onerror=window.__pwned=16>">`,
  `<svg></p><style><a id="</style><img src=1 onerror=window.__pwned=17>">`,
  `<math><mi xlink:href="javascript:window.__pwned=18">m</mi></math>`,
  `<details open ontoggle="window.__pwned=19">toggle</details>`,
  `<object data="javascript:window.__pwned=20"></object><embed src="javascript:window.__pwned=21">`,
  `<base href="javascript:/"><meta http-equiv="refresh" content="0;url=javascript:window.__pwned=22"><link rel=stylesheet href="https://evil.example/x.css">`,
  `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
  `<a href="data:text/html,<script>alert(1)</script>">data link</a>`,
  `<a href="vbscript:msgbox(1)">vb</a> <a href="file:///etc/passwd">file</a>`,
  `<textarea><img src=x onerror=window.__pwned=23></textarea><select><option>x</select>`,
  `<style>.cw-root{display:none}</style><p style="color:red">styled</p>`,
  `$\\href{javascript:window.__pwned=24}{x}$ and $$\\htmlClass{jp-Dialog}{y}$$`,
  "```\"><img src=x onerror=window.__pwned=25>\nlang attack\n```",
  "```js onerror=alert(1)\nlet x = 1\n```",
  `<a href="https://example.com" target="_self" rel="opener">ok link</a> <a href="mailto:a@b.c">mail</a> <a href="#top">anchor</a> <a href="/relative">rel</a>`,
  `<img src="https://example.invalid/x.png" onload="window.__pwned=26"> <img src="data:image/png;base64,iVBORw0KGgo=" alt=ok>`,
  `<div is="x-evil" slot="s" contenteditable popover>attrs</div>`,
].join("\n\n");

/** A history of `n` messages (user/assistant alternating) with a tool step every 10. */
export function history(n) {
  const steps = [];
  for (let i = 0; i < n; i++) {
    const user = i % 2 === 0;
    steps.push({
      type: user ? "user_message" : "assistant_message",
      name: user ? "User" : "Assistant",
      output: user ? `Question number ${i}?` : `Answer **${i}** with \`code\` and a [link](https://example.com/${i}).`,
      createdAt: iso(T0 + i * 1000),
    });
  }
  return steps;
}

/** `n` tokens of markdown-ish text (~5 chars each) with paragraphs and a code block now and then. */
export function tokens(n) {
  const words = ["alpha ", "beta ", "gamma ", "delta ", "**eps** ", "`zeta` ", "eta, ", "theta. "];
  const out = [];
  for (let i = 0; i < n; i++) {
    if (i % 400 === 399) out.push("\n\n```python\nfor i in range(10):\n    print(i)\n```\n\n");
    else if (i % 60 === 59) out.push("\n\n");
    else out.push(words[i % words.length]);
  }
  return out;
}
