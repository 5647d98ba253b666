// Element names in a message's text become references, as the reference system does: a
// side or page element whose name appears in the content is linked where it is named, and
// opens (in the side area, or as a page) on click. Names are matched as whole words in the
// rendered text only (never inside code, links, buttons or math); the text stays text
// (the button's label is set with textContent).
import type { ElementDict } from "../protocol";
import { el } from "./format";

export interface ElementRef {
  id: string;
  name: string;
  display: "side" | "page";
}

/** The side and page elements of a message that have a name to be found by. */
export function referable(elements: readonly (ElementDict | undefined)[]): ElementRef[] {
  const refs: ElementRef[] = [];
  for (const e of elements) {
    if (!e || (e.display !== "side" && e.display !== "page")) continue;
    const name = typeof e.name === "string" ? e.name.trim() : "";
    if (name && name.length <= 200) refs.push({ id: String(e.id), name, display: e.display });
  }
  return refs;
}

const SKIP = "pre, code, a, button, .cw-element-ref, .katex, .cw-code-header";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Link the names of `refs` in the text under `root`; returns the ids now linked there
 * (including those linked before). `open` is called with the element a reference names.
 */
export function linkElementNames(root: HTMLElement, refs: readonly ElementRef[], open: (ref: ElementRef) => void): Set<string> {
  const linked = new Set<string>();
  if (!refs.length) return linked;
  const byName = new Map<string, ElementRef>();
  for (const ref of refs) if (!byName.has(ref.name)) byName.set(ref.name, ref);
  const names = [...byName.keys()].sort((a, b) => b.length - a.length).map(escape);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${names.join("|")})(?![\\p{L}\\p{N}_])`, "gu");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement?.closest(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const found: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    pattern.lastIndex = 0;
    if (pattern.test((node as Text).data)) found.push(node as Text);
  }
  for (const node of found) {
    const text = node.data;
    const parts: (string | HTMLElement)[] = [];
    let last = 0;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      const ref = byName.get(m[0]);
      if (!ref) continue;
      if (m.index > last) parts.push(text.slice(last, m.index));
      const button = el("button", "cw-element-ref", m[0]);
      button.type = "button";
      button.dataset.elementId = ref.id;
      button.dataset.display = ref.display;
      button.addEventListener("click", () => open(ref));
      parts.push(button);
      last = m.index + m[0].length;
    }
    if (last < text.length) parts.push(text.slice(last));
    node.replaceWith(...parts);
  }
  for (const b of Array.from(root.querySelectorAll<HTMLElement>(".cw-element-ref"))) {
    if (b.dataset.elementId && refs.some((r) => r.id === b.dataset.elementId)) linked.add(b.dataset.elementId);
  }
  return linked;
}
