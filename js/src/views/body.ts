// The body of a message or a step output: markdown (possibly streaming), a code block
// when a language is set, or pretty-printed JSON.
import type { Labels } from "../i18n";
import { missCount, onLibrary } from "../lazy";
import { renderCode } from "../markdown";
import { MarkdownView } from "./content";
import { decorate } from "./decorate";

const JSON_LANG = "json";

/** Pretty JSON when the text parses as an object or array, else null. */
export function prettyJson(text: string): string | null {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return null;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return null;
  }
}

export class BodyView {
  readonly el: HTMLElement;
  private labels: Labels;
  private markdown: MarkdownView | null = null;
  private last: { text: string; lang: string | null; streaming: boolean; json: boolean } | null = null;

  constructor(className: string, labels: Labels) {
    this.el = document.createElement("div");
    this.el.className = className;
    this.labels = labels;
  }

  /** `jsonAware`: pretty-print JSON-looking text when the language is json or unset. */
  update(text: string, language: string | null | undefined, streaming: boolean, jsonAware = false): void {
    const lang = language || null;
    const last = this.last;
    if (last && last.text === text && last.lang === lang && last.streaming === streaming && last.json === jsonAware) return;
    this.last = { text, lang, streaming, json: jsonAware };
    const pretty = jsonAware && !streaming && (lang === null || lang.toLowerCase() === JSON_LANG) ? prettyJson(text) : null;
    if (pretty !== null || lang !== null) {
      this.markdown = null;
      const misses = missCount();
      const fragment = renderCode(pretty ?? text, pretty !== null ? JSON_LANG : lang);
      decorate(fragment, this.labels);
      this.el.replaceChildren(fragment);
      if (missCount() !== misses) {
        // Highlighting arrives later: draw the block again then.
        const off = onLibrary(() => {
          off();
          if (this.last?.text !== text || !this.el.isConnected) return;
          this.last = null;
          this.update(text, language, streaming, jsonAware);
        });
      }
      return;
    }
    if (!this.markdown) {
      this.markdown = new MarkdownView(this.labels);
      this.el.replaceChildren(this.markdown.el);
    }
    this.markdown.update(text, streaming);
  }
}
