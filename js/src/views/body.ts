// The body of a message or a step output: markdown (possibly streaming), a code block
// when a language is set, or pretty-printed JSON.
import type { Labels } from "../i18n";
import { missCount, onLibrary } from "../lazy";
import { renderCode } from "../markdown";
import type { StepText } from "../store";
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
  private last: { text: StepText; length: number; lang: string | null; streaming: boolean; json: boolean } | null = null;

  constructor(className: string, labels: Labels) {
    this.el = document.createElement("div");
    this.el.className = className;
    this.labels = labels;
  }

  /** `jsonAware`: pretty-print JSON-looking text when the language is json or unset. */
  /**
   * `text` may be a stream's growing text (markdown reads only its end); code and JSON are
   * drawn whole. `jsonAware`: pretty-print JSON-looking text when the language is json or unset.
   */
  update(given: StepText, language: string | null | undefined, streaming: boolean, jsonAware = false): void {
    const lang = language || null;
    const last = this.last;
    const length = given.length;
    if (last && last.text === given && last.length === length && last.lang === lang && last.streaming === streaming && last.json === jsonAware) return;
    this.last = { text: given, length, lang, streaming, json: jsonAware };
    const pretty = jsonAware && !streaming && (lang === null || lang.toLowerCase() === JSON_LANG) ? prettyJson(String(given)) : null;
    if (pretty !== null || lang !== null) {
      const text = String(given);
      this.markdown = null;
      const misses = missCount();
      const fragment = renderCode(pretty ?? text, pretty !== null ? JSON_LANG : lang);
      decorate(fragment, this.labels);
      this.el.replaceChildren(fragment);
      if (missCount() !== misses) {
        // Highlighting arrives later: draw the block again then.
        const off = onLibrary(() => {
          off();
          if (this.last?.text !== given || this.last.length !== length || !this.el.isConnected) return;
          this.last = null;
          this.update(given, language, streaming, jsonAware);
        });
      }
      return;
    }
    if (!this.markdown) {
      this.markdown = new MarkdownView(this.labels);
      this.el.replaceChildren(this.markdown.el);
    }
    this.markdown.update(given, streaming);
  }
}
