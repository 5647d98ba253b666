// What a message carries beyond its text: its elements, the buttons of an action prompt
// (or the choice made), its actions, feedback thumbs (assistant replies) and an edit button
// (the user's messages). Every label and tooltip is set with textContent / title.
import type { ActionDict, Requests, StepDict } from "../protocol";
import { ACTION, ASK_REPLY, EDIT, FEEDBACK } from "../protocol";
import { type ElementHost, ElementsView } from "./elements";
import { button, el } from "./format";
import { uiIcon } from "./icons";

export interface ExtrasHost extends ElementHost {
  readonly readOnly: boolean;
}

/** An icon name is shown only when it is a short symbol (an emoji); names of icon sets are not. */
function iconText(icon: unknown): string {
  return typeof icon === "string" && icon && Array.from(icon).length <= 2 && !/^[\w-]+$/.test(icon) ? icon : "";
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
  private commenting = false;

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
    const icon = iconText(a.icon);
    if (icon) b.append(el("span", "cw-action-icon", icon));
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
    const running = this.host.store.running;
    const feedback = step.type === "assistant_message" && !step.streaming && !step.isError;
    const value = step.feedback?.value ?? null;
    const editable = step.type === "user_message" && !running && !this.host.readOnly;
    const key = JSON.stringify([feedback, value, step.feedback?.comment ?? null, editable, this.commenting, this.editing, labels.edit]);
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
        up.addEventListener("click", () => void this.sendFeedback(value === 1 ? null : 1));
        down.addEventListener("click", () => {
          if (value === 0) void this.sendFeedback(null);
          else {
            this.commenting = !this.commenting;
            this.toolsKey = "";
            if (this.step) this.renderTools(this.step);
            (this.tools.querySelector(".cw-feedback-input") as HTMLTextAreaElement | null)?.focus();
          }
        });
      }
      box.append(up, down);
      if (this.commenting && !this.host.readOnly) box.append(this.commentBox());
      parts.push(box);
    }
    if (editable && !this.editing) {
      const edit = button("cw-edit", "✎", labels.edit);
      edit.addEventListener("click", () => this.startEdit());
      parts.push(edit);
    }
    this.tools.replaceChildren(...parts);
    this.tools.hidden = parts.length === 0;
    if (!editable && this.editing) this.stopEdit();
  }

  private commentBox(): HTMLElement {
    const labels = this.host.labels;
    const box = el("div", "cw-feedback-comment");
    const input = el("textarea", "cw-feedback-input");
    input.rows = 2;
    input.placeholder = labels.feedbackComment;
    input.setAttribute("aria-label", labels.feedbackComment);
    input.addEventListener("keydown", (e) => e.stopPropagation());
    const submit = button("cw-feedback-submit", labels.submit);
    submit.addEventListener("click", () => void this.sendFeedback(0, input.value.trim() || undefined));
    const cancel = button("cw-feedback-cancel", labels.cancel);
    cancel.addEventListener("click", () => {
      this.commenting = false;
      this.toolsKey = "";
      if (this.step) this.renderTools(this.step);
    });
    box.append(input, submit, cancel);
    return box;
  }

  private async sendFeedback(value: 0 | 1 | null, comment?: string): Promise<void> {
    const fields: Requests["feedback"] = { step: this.id, value };
    if (comment) fields.comment = comment;
    const reply = await this.host.store.request(FEEDBACK, fields);
    if (reply.ok) {
      this.commenting = false;
      this.toolsKey = "";
      if (this.step) this.renderTools(this.step);
    }
    this.showError(reply.ok ? "" : reply.error?.message || this.host.labels.error);
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
