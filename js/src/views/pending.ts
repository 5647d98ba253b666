// The messages of the outbox, under the conversation: each as the user's bubble with what is
// happening to it (queued, sending, why the kernel has not taken it, why it was refused) and
// what can still be done (edit, cancel, retry). They go once the kernel's copy arrives.
import { type Labels } from "../i18n";
import { type Outbox, type OutboxItem, canRetry, noticeOf } from "../outbox";
import { el } from "./format";

export class PendingList {
  readonly el = el("div", "cw-outbox");
  private readonly unsubscribe: () => void;

  constructor(
    private readonly outbox: Outbox,
    private labels: Labels,
    /** The user wants the message back in the composer (it has left the outbox). */
    private readonly onEdit: (item: OutboxItem) => void,
  ) {
    this.el.setAttribute("aria-live", "polite");
    this.unsubscribe = outbox.subscribe(() => this.render());
    this.render();
  }

  setLabels(labels: Labels): void {
    if (labels === this.labels) return;
    this.labels = labels;
    this.render();
  }

  dispose(): void {
    this.unsubscribe();
    this.el.remove();
  }

  /** A handful of items at most: drawn again whole. */
  private render(): void {
    const items = this.outbox.items;
    this.el.replaceChildren(...items.map((item) => this.item(item)));
    this.el.hidden = items.length === 0;
  }

  private item(item: OutboxItem): HTMLElement {
    const labels = this.labels;
    const notice = noticeOf(item, this.outbox.kernelStatus);
    const row = el("div", `cw-pending cw-pending-${item.state}`);
    row.dataset.key = item.key;
    row.dataset.state = item.state;
    row.dataset.notice = notice;
    const bubble = el("div", "cw-pending-bubble");
    if (item.command) bubble.append(el("span", "cw-pending-command", `/${item.command}`));
    bubble.append(el("div", "cw-pending-text", item.content));
    for (const name of item.fileNames) bubble.append(el("div", "cw-pending-file", name));
    const why = item.error?.code === "files_lost" ? labels.filesLost : item.error?.message || labels.error;
    const status = el("div", "cw-pending-status", notice === "notSent" ? `${labels.notSent}: ${why}` : labels[notice]);
    status.setAttribute("role", notice === "notSent" ? "alert" : "status");
    row.append(bubble, status);
    if (item.state !== "sending") {
      const actions = el("div", "cw-pending-actions");
      if (canRetry(item)) actions.append(this.button("cw-pending-retry", labels.retry, () => this.outbox.retry(item.key)));
      actions.append(
        this.button("cw-pending-edit", labels.edit, () => {
          const taken = this.outbox.take(item.key);
          if (taken) this.onEdit(taken);
        }),
        this.button("cw-pending-cancel", labels.cancel, () => this.outbox.take(item.key)),
      );
      row.append(actions);
    }
    return row;
  }

  private button(className: string, text: string, act: () => void): HTMLButtonElement {
    const b = el("button", className, text);
    b.type = "button";
    b.addEventListener("click", act);
    return b;
  }
}
