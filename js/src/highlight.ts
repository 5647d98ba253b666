// Code blocks. Highlighting is done by highlight.js, a library loaded on first need
// (lazy.ts): until it is there a block shows plain (escaped) text and is redrawn once it is.
// The language comes from untrusted text: anything not matching LANGUAGE_RE is plain text.
import { library } from "./lazy";
import { escapeHtml } from "./math";

export const LANGUAGE_RE = /^[A-Za-z0-9_+-]{1,32}$/;
/** The language name if it is well formed, else null (plain text). */
export function safeLanguage(lang: string | null | undefined): string | null {
  if (typeof lang !== "string") return null;
  const name = lang.trim().toLowerCase();
  return LANGUAGE_RE.test(name) ? name : null;
}

/** Highlighting is skipped past this size: the text is shown plain, still escaped. */
export const MAX_HIGHLIGHT = 200_000;

/**
 * HTML for one code block. Only a validated language name ever reaches the markup (as a
 * class); the visible label is added later from the DOM with textContent.
 */
export function codeBlockHtml(code: string, lang: string | null | undefined): string {
  const name = safeLanguage(lang);
  let body: string | null = null;
  if (name && name !== "plaintext" && code.length <= MAX_HIGHLIGHT) body = library("highlight")?.highlight(code, name) ?? null;
  const cls = name ? `hljs language-${name}` : "hljs";
  return `<pre class="cw-code"><code class="${cls}">${body ?? escapeHtml(code)}</code></pre>\n`;
}
