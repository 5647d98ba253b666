// Trusted decorations added to sanitized content from the DOM: a header with the code
// block's language (textContent, never markup) and a copy button.
import type { Labels } from "../i18n";
import { copyText } from "./format";

const LANG_CLASS = /^language-([A-Za-z0-9_+-]{1,32})$/;

export function decorate(root: ParentNode, labels: Labels): void {
  for (const pre of Array.from(root.querySelectorAll("pre.cw-code"))) decorateCode(pre as HTMLElement, labels);
}

function decorateCode(pre: HTMLElement, labels: Labels): void {
  if (pre.previousElementSibling?.classList.contains("cw-code-header")) return;
  const code = pre.querySelector("code");
  let lang = "";
  for (const cls of Array.from(code?.classList ?? [])) {
    const m = LANG_CLASS.exec(cls);
    if (m) lang = m[1];
  }
  const header = document.createElement("div");
  header.className = "cw-code-header";
  const label = document.createElement("span");
  label.className = "cw-code-lang";
  label.textContent = lang;
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "cw-copy";
  copy.textContent = labels.copy;
  copy.setAttribute("aria-label", labels.copy);
  copy.addEventListener("click", () => {
    void copyText(code?.textContent ?? "").then((ok) => {
      if (!ok) return;
      copy.textContent = labels.copied;
      setTimeout(() => (copy.textContent = labels.copy), 1200);
    });
  });
  header.append(label, copy);
  const wrap = document.createElement("div");
  wrap.className = "cw-code-block";
  pre.replaceWith(wrap);
  wrap.append(header, pre);
}
