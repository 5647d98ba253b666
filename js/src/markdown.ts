// Markdown to a sanitized DOM fragment: markdown-it (GFM tables, strikethrough, linkify),
// highlighted fences, TeX math. Raw HTML is parsed by markdown-it and then sanitized, like
// everything else: the sanitizer runs after rendering, on every render.
import MarkdownIt from "markdown-it";
import { codeBlockHtml } from "./highlight";
import { mathPlugin } from "./math";
import { sanitizeToFragment } from "./sanitize";

const md = new MarkdownIt({ html: true, linkify: true, typographer: false, breaks: false });
md.use(mathPlugin);
md.renderer.rules.fence = (tokens, idx) => {
  const token = tokens[idx];
  const lang = token.info.trim().split(/\s+/)[0] ?? "";
  return codeBlockHtml(token.content, lang);
};
md.renderer.rules.code_block = (tokens, idx) => codeBlockHtml(tokens[idx].content, null);

export function markdownHtml(text: string): string {
  return md.render(text);
}

export function renderMarkdown(text: string): DocumentFragment {
  return sanitizeToFragment(md.render(text));
}

export function renderCode(code: string, lang: string | null | undefined): DocumentFragment {
  return sanitizeToFragment(codeBlockHtml(code, lang));
}
