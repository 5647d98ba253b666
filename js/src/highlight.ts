// Code blocks: highlight.js core with a curated set of languages (keeps the bundle lean).
// The language comes from untrusted text: anything not matching LANGUAGE_RE is plain text.
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import julia from "highlight.js/lib/languages/julia";
import latex from "highlight.js/lib/languages/latex";
import markdown from "highlight.js/lib/languages/markdown";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import pythonRepl from "highlight.js/lib/languages/python-repl";
import r from "highlight.js/lib/languages/r";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { escapeHtml } from "./math";

const LANGUAGES = {
  bash, c, cpp, css, diff, go, ini, java, javascript, json, julia, latex, markdown, plaintext,
  python, "python-repl": pythonRepl, r, rust, shell, sql, typescript, xml, yaml,
};
for (const [name, def] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, def);

export const LANGUAGE_RE = /^[A-Za-z0-9_+-]{1,32}$/;

/** The language name if it is well formed, else null (plain text). */
export function safeLanguage(lang: string | null | undefined): string | null {
  if (typeof lang !== "string") return null;
  const name = lang.trim().toLowerCase();
  return LANGUAGE_RE.test(name) ? name : null;
}

/** Highlighting is skipped past this size: the text is shown plain, still escaped. */
const MAX_HIGHLIGHT = 200_000;

/**
 * HTML for one code block. Only a validated language name ever reaches the markup (as a
 * class); the visible label is added later from the DOM with textContent.
 */
export function codeBlockHtml(code: string, lang: string | null | undefined): string {
  const name = safeLanguage(lang);
  let body: string | null = null;
  if (name && code.length <= MAX_HIGHLIGHT && hljs.getLanguage(name)) {
    try {
      body = hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
    } catch {
      body = null;
    }
  }
  const cls = name ? `hljs language-${name}` : "hljs";
  return `<pre class="cw-code"><code class="${cls}">${body ?? escapeHtml(code)}</code></pre>\n`;
}
