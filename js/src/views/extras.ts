// What a message carries beyond its text: its elements, the buttons of an action prompt
// (or the choice made), its actions, feedback thumbs (assistant replies) and an edit button
// (the user's messages). Every label and tooltip is set with textContent / title.
import type { ActionDict, Requests, StepDict } from "../protocol";
import { ACTION, ASK_REPLY, EDIT, FEEDBACK } from "../protocol";
import { type ElementHost, ElementsView } from "./elements";
import { button, copyText, el } from "./format";
import { iconFor, namedIcon, uiIcon } from "./icons";

export interface ExtrasHost extends ElementHost {
  readonly readOnly: boolean;
}


export class MessageExtras {
  readonly el: HTMLElement;
  readonly elements: ElementsView;
  private readonly askBox = el("div", "cw-ask-actions");
  private readonly selected = el("div", "cw-selected-action");
  private readonly actions = el("div", "cw-actions");
  private readonly tools = el("div", "cw-message-tools");
  private readonly error = el("div", "cw-extras-error");
  private step: StepDict | null = null;
  private askKey = "";
  private actionsKey = "";
  private toolsKey = "";
  private editing = false;
  /** The thumb whose optional comment box is open (1 up, 0 down), or null. */
  private commenting: 0 | 1 | null = null;

  constructor(private readonly host: ExtrasHost, private readonly id: string, private readonly editSlot: HTMLElement) {
    this.el = el("div", "cw-extras");
    this.elements = new ElementsView(host);
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.el.append(this.elements.el, this.askBox, this.selected, this.actions, this.tools, this.error);
  }

  dispose(): void {
    this.elements.dispose();
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  update(step: StepDict): void {
    this.step = step;
    this.elements.update(step.elements);
    this.renderAsk(step);
    this.renderActions(step);
    this.renderTools(step);
  }

  // ---- action prompt -------------------------------------------------------------------

  private renderAsk(step: StepDict): void {
    const ask = this.host.store.ask;
    const offered = ask && ask.kind === "action" && ask.forId === this.id && !this.host.readOnly ? ask.spec?.actions ?? [] : [];
    const key = ask && offered.length ? `${ask.id}:${JSON.stringify(offered)}` : "";
    if (key !== this.askKey) {
      this.askKey = key;
      this.askBox.replaceChildren(
        ...offered.map((a) => {
          const b = this.actionButton(a, "cw-ask-action");
          b.addEventListener("click", async () => {
            if (!ask) return;
            for (const other of Array.from(this.askBox.querySelectorAll("button"))) other.disabled = true;
            const reply = await this.host.store.request(ASK_REPLY, { ask: ask.id, action: a.id });
            if (!reply.ok) {
              for (const other of Array.from(this.askBox.querySelectorAll("button"))) other.disabled = false;
              this.showError(reply.error?.message || this.host.labels.error);
            } else this.showError("");
          });
          return b;
        }),
      );
    }
    this.askBox.hidden = offered.length === 0;
    const chosen = typeof step.selectedAction === "string" ? step.selectedAction : "";
    this.selected.textContent = chosen;
    this.selected.hidden = !chosen || offered.length > 0;
  }

  private actionButton(a: ActionDict, className: string): HTMLButtonElement {
    const label = typeof a.label === "string" && a.label ? a.label : String(a.name ?? "");
    const b = button(className, "");
    const icon = iconFor(a.icon, "cw-action-icon", 14);
    if (icon) b.append(icon);
    b.append(el("span", "cw-action-label", label));
    if (typeof a.tooltip === "string" && a.tooltip) b.title = a.tooltip;
    b.dataset.name = String(a.name ?? "");
    b.dataset.actionId = String(a.id);
    return b;
  }

  // ---- actions -------------------------------------------------------------------------

  private renderActions(step: StepDict): void {
    const list = Array.isArray(step.actions) && !this.host.readOnly ? step.actions.filter((a) => a && typeof a.id === "string") : [];
    const key = JSON.stringify(list.map((a) => [a.id, a.label, a.tooltip, a.icon, a.name]));
    if (key === this.actionsKey) return;
    this.actionsKey = key;
    this.actions.replaceChildren(
      ...list.map((a) => {
        const b = this.actionButton(a, "cw-action");
        b.addEventListener("click", async () => {
          b.disabled = true;
          const reply = await this.host.store.request(ACTION, { action: a.id });
          b.disabled = false;
          this.showError(reply.ok ? "" : reply.error?.message || this.host.labels.error);
        });
        return b;
      }),
    );
    this.actions.hidden = list.length === 0;
  }

  // ---- feedback and edit -----------------------------------------------------------------

  private renderTools(step: StepDict): void {
    const labels = this.host.labels;
    const feedback = step.type === "assistant_message" && !step.streaming && !step.isError;
    const value = step.feedback?.value ?? null;
    // Not offered while a handler runs; the stylesheet hides the button then (data-running on
    // the root), so a turn never rebuilds the tools of every message shown.
    const editable = step.type === "user_message" && !this.host.readOnly;
    const copyable = !step.streaming && (step.type === "user_message" || step.type === "assistant_message");
    const key = JSON.stringify([feedback, value, step.feedback?.comment ?? null, editable, copyable, this.commenting, this.editing, labels.edit]);
    if (key === this.toolsKey) return;
    this.toolsKey = key;
    const parts: HTMLElement[] = [];
    if (feedback && (!this.host.readOnly || value !== null)) {
      const box = el("div", "cw-feedback");
      const up = button("cw-thumb cw-thumb-up", "", labels.thumbUp);
      const down = button("cw-thumb cw-thumb-down", "", labels.thumbDown);
      up.append(uiIcon("thumbUp"));
      down.append(uiIcon("thumbDown"));
      up.setAttribute("aria-pressed", String(value === 1));
      down.setAttribute("aria-pressed", String(value === 0));
      if (this.host.readOnly) {
        up.disabled = down.disabled = true;
        up.hidden = value !== 1;
        down.hidden = value !== 0;
      } else {
        // Thumbs up counts at once and offers a comment; thumbs down asks for the comment first.
        up.addEventListener("click", async () => {
          if (value === 1) return void this.sendFeedback(null);
          if (await this.sendFeedback(1)) this.openComment(1);
        });
        down.addEventListener("click", () => {
          if (value === 0) void this.sendFeedback(null);
          else this.openComment(this.commenting === 0 ? null : 0);
        });
      }
      box.append(up, down);
      if (this.commenting !== null && !this.host.readOnly) box.append(this.commentBox(this.commenting));
      parts.push(box);
    }
    if (copyable) {
      const copy = button("cw-copy-message", "", labels.copyMessage);
      const icon = namedIcon("copy", 14);
      if (icon) copy.append(icon);
      copy.addEventListener("click", async () => {
        if (!(await copyText(this.host.store.textOf(this.id)))) return;
        copy.classList.add("cw-copied");
        copy.title = labels.copied;
        setTimeout(() => {
          copy.classList.remove("cw-copied");
          copy.title = labels.copyMessage;
        }, 1200);
      });
      parts.push(copy);
    }
    if (editable && !this.editing) {
      const edit = button("cw-edit", "✎", labels.edit);
      edit.addEventListener("click", () => {
        if (!this.host.store.running) this.startEdit();
      });
      parts.push(edit);
    }
    this.tools.replaceChildren(...parts);
    this.tools.hidden = parts.length === 0;
    if (!editable && this.editing) this.stopEdit();
  }

  /** A handler started: an edit in progress is given up (the kernel refuses edits then). */
  stopEditWhileRunning(): void {
    if (this.editing && this.host.store.running) this.stopEdit();
  }

  private openComment(value: 0 | 1 | null): void {
    this.commenting = value;
    this.toolsKey = "";
    if (this.step) this.renderTools(this.step);
    (this.tools.querySelector(".cw-feedback-input") as HTMLTextAreaElement | null)?.focus();
  }

  private commentBox(value: 0 | 1): HTMLElement {
    const labels = this.host.labels;
    const box = el("div", "cw-feedback-comment");
    box.dataset.value = String(value);
    const input = el("textarea", "cw-feedback-input");
    input.rows = 2;
    input.placeholder = value === 1 ? labels.feedbackPraise : labels.feedbackComment;
    input.setAttribute("aria-label", input.placeholder);
    input.addEventListener("keydown", (e) => e.stopPropagation());
    const submit = button("cw-feedback-submit", labels.submit);
    submit.addEventListener("click", () => {
      const comment = input.value.trim();
      // Thumbs up was already counted: without a comment there is nothing more to send.
      if (value === 1 && !comment) this.openComment(null);
      else void this.sendFeedback(value, comment || undefined);
    });
    const cancel = button("cw-feedback-cancel", labels.cancel);
    cancel.addEventListener("click", () => this.openComment(null));
    box.append(input, submit, cancel);
    return box;
  }

  private async sendFeedback(value: 0 | 1 | null, comment?: string): Promise<boolean> {
    const fields: Requests["feedback"] = { step: this.id, value };
    if (comment) fields.comment = comment;
    const reply = await this.host.store.request(FEEDBACK, fields);
    if (reply.ok) this.openComment(null);
    this.showError(reply.ok ? "" : reply.error?.message || this.host.labels.error);
    return reply.ok;
  }

  private startEdit(): void {
    const labels = this.host.labels;
    this.editing = true;
    const box = el("div", "cw-edit-box");
    const input = el("textarea", "cw-edit-input");
    input.value = this.host.store.textOf(this.id);
    input.rows = Math.min(8, Math.max(2, input.value.split("\n").length));
    const save = button("cw-edit-save", labels.save);
    const cancel = button("cw-edit-cancel", labels.cancel);
    const submit = async () => {
      const content = input.value;
      if (!content.trim()) return;
      save.disabled = true;
      const reply = await this.host.store.request(EDIT, { step: this.id, content });
      save.disabled = false;
      if (reply.ok) this.stopEdit();
      this.showError(reply.ok ? "" : reply.error?.message || labels.error);
    };
    input.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void submit();
      } else if (e.key === "Escape") this.stopEdit();
    });
    save.addEventListener("click", () => void submit());
    cancel.addEventListener("click", () => this.stopEdit());
    const row = el("div", "cw-edit-buttons");
    row.append(cancel, save);
    box.append(input, row);
    this.editSlot.replaceChildren(box);
    this.editSlot.hidden = false;
    this.el.closest(".cw-message")?.classList.add("cw-editing");
    this.toolsKey = "";
    if (this.step) this.renderTools(this.step);
    input.focus();
  }

  private stopEdit(): void {
    this.editing = false;
    this.editSlot.replaceChildren();
    this.editSlot.hidden = true;
    this.el.closest(".cw-message")?.classList.remove("cw-editing");
    this.toolsKey = "";
    if (this.step) this.renderTools(this.step);
  }
}
