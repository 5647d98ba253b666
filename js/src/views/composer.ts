// The composer: a textarea (Enter sends, Shift+Enter is a newline, IME composition is
// respected), a send button and a stop button. Nothing typed is ever lost: the text is
// cleared only once the kernel accepts it, and put back with the error otherwise.
import type { Labels } from "../i18n";
import type { ChatConfig } from "../protocol";
import { SEND, STOP } from "../protocol";
import type { ChatStore } from "../store";
import { el } from "./format";

export class Composer {
  readonly el: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly error: HTMLElement;
  private sending = false;
  private running = false;
  private blocked = false;
  private labels: Labels;

  constructor(private readonly store: ChatStore, labels: Labels) {
    this.labels = labels;
    this.el = el("form", "cw-composer");
    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.error = el("div", "cw-composer-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.input = el("textarea", "cw-input");
    this.input.rows = 1;
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.input.addEventListener("input", () => this.autosize());
    this.send = el("button", "cw-send");
    this.send.type = "submit";
    this.stop = el("button", "cw-stop");
    this.stop.type = "button";
    this.stop.addEventListener("click", () => void this.onStop());
    const row = el("div", "cw-composer-row");
    row.append(this.input, this.stop, this.send);
    this.el.append(this.error, row);
    this.setLabels(labels, "");
  }

  setLabels(labels: Labels, placeholder: string): void {
    this.labels = labels;
    this.input.placeholder = placeholder || labels.placeholder;
    this.input.setAttribute("aria-label", placeholder || labels.placeholder);
    this.send.setAttribute("aria-label", labels.send);
    this.send.title = labels.send;
    this.send.textContent = "➤";
    this.stop.setAttribute("aria-label", labels.stop);
    this.stop.title = labels.stop;
    this.stop.textContent = "■";
  }

  update(running: boolean, config: ChatConfig): void {
    this.running = running;
    this.blocked = running && config.disable_while_running !== false;
    this.stop.hidden = !running;
    this.refresh();
  }

  private refresh(): void {
    this.send.disabled = this.blocked || this.sending;
    this.el.classList.toggle("cw-sending", this.sending);
  }

  private onKey(e: KeyboardEvent): void {
    // Keys typed here are ours, not JupyterLab's notebook shortcuts (Shift+Enter, A, B, …).
    e.stopPropagation();
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    void this.submit();
  }

  private autosize(): void {
    const t = this.input;
    t.style.height = "auto";
    t.style.height = `${Math.min(t.scrollHeight, 200)}px`;
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  async submit(): Promise<void> {
    const content = this.input.value;
    if (!content.trim() || this.sending || this.blocked) return;
    this.sending = true;
    this.refresh();
    this.showError("");
    const reply = await this.store.request(SEND, { content });
    this.sending = false;
    this.refresh();
    if (reply.ok) {
      // Typing may have gone on meanwhile: remove only what was sent.
      const now = this.input.value;
      this.input.value = now.startsWith(content) ? now.slice(content.length).replace(/^\n/, "") : now;
      this.autosize();
      return;
    }
    const now = this.input.value;
    if (!now.includes(content)) this.input.value = now ? `${content}\n${now}` : content;
    this.autosize();
    const why = reply.error?.code === "timeout" ? this.labels.timeout : reply.error?.message || this.labels.sendFailed;
    this.showError(`${this.labels.sendFailed}: ${why}`);
  }

  private async onStop(): Promise<void> {
    const reply = await this.store.request(STOP, {});
    if (!reply.ok && this.running) this.showError(reply.error?.message ?? this.labels.error);
  }
}
