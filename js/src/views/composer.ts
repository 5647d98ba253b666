// The composer: a textarea (Enter sends, Shift+Enter is a newline, IME composition is
// respected), a send button and a stop button. Nothing typed is ever lost: a message sent
// goes to the store's outbox, which shows it at once and sends it when the kernel can take
// it (after a running cell or answer); Edit there brings it back here. The draft is kept
// over a page reload.
//
// It also answers ask prompts (text: the input answers; file: a chooser and drop zone;
// action: the buttons under the prompt, the input waits; element: the element's form and a
// cancel button), holds attachments (when `config.file_upload.enabled`), and offers the
// `/` commands (a keyboard-navigable menu, a chip for the chosen one, toggle buttons), and
// the microphone when the app takes voice input (./voice.ts).
import { type Labels, fill } from "../i18n";
import type { Draft, OutboxItem } from "../outbox";
import type { AskState, ChatConfig, Command, UploadRules } from "../protocol";
import { ASK_REPLY, STOP } from "../protocol";
import type { ChatStore } from "../store";
import { type UploadHandle, acceptAttribute, checkFile, upload } from "../upload";
import { el } from "./format";
import { iconFor } from "./icons";
import { VoiceButton } from "./voice";

interface Attachment {
  name: string;
  handle: UploadHandle;
  chip: HTMLElement;
  progress: HTMLProgressElement;
  id: string | null;
  failed: boolean;
}

function fileList(list: FileList | null | undefined): File[] {
  return list ? Array.from(list) : [];
}

function hasFiles(e: DragEvent): boolean {
  return !!e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files");
}

export class Composer {
  readonly el: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly error: HTMLElement;
  private readonly hint = el("div", "cw-ask-hint");
  private readonly row = el("div", "cw-composer-row");
  private readonly attach: HTMLButtonElement;
  private readonly fileInput = el("input", "cw-file-input");
  private readonly attachments = el("div", "cw-attachments");
  private readonly commandMenu = el("div", "cw-commands-menu");
  private readonly commandChip = el("div", "cw-command-chip");
  private readonly commandButtons = el("div", "cw-command-buttons");
  private readonly askCancel: HTMLButtonElement;
  private readonly askFile = el("div", "cw-ask-file");
  private readonly askFileInput = el("input", "cw-ask-file-input");
  private readonly askFileText = el("span", "cw-ask-file-text");
  private readonly askBrowse: HTMLButtonElement;
  private readonly askProgress = el("div", "cw-ask-file-progress");
  private readonly voice: VoiceButton;
  private running = false;
  private blocked = false;
  private labels: Labels;
  private config: ChatConfig | null = null;
  private ask: AskState | null = null;
  private askBusy = false;
  private items: Attachment[] = [];
  private commands: Command[] = [];
  private commandsKey = "";
  private command: string | null = null;
  private menuItems: Command[] = [];
  private menuIndex = 0;

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
    this.input.addEventListener("input", () => {
      this.autosize();
      this.updateMenu();
      this.store.outbox.saveDraft(this.input.value);
    });
    this.input.addEventListener("paste", (e) => this.onPaste(e));
    this.input.addEventListener("blur", () => setTimeout(() => this.closeMenu(), 150));
    this.send = el("button", "cw-send");
    this.send.type = "submit";
    this.stop = el("button", "cw-stop");
    this.stop.type = "button";
    this.stop.addEventListener("click", () => void this.onStop());

    this.attach = el("button", "cw-attach", "+");
    this.attach.type = "button";
    this.attach.hidden = true;
    this.attach.addEventListener("click", () => this.fileInput.click());
    this.fileInput.type = "file";
    this.fileInput.multiple = true;
    this.fileInput.hidden = true;
    this.fileInput.addEventListener("change", () => {
      this.addAttachments(fileList(this.fileInput.files));
      this.fileInput.value = "";
    });
    this.attachments.hidden = true;

    this.commandMenu.setAttribute("role", "listbox");
    this.commandMenu.hidden = true;
    this.commandChip.hidden = true;
    this.commandButtons.hidden = true;

    this.askCancel = el("button", "cw-ask-cancel");
    this.askCancel.type = "button";
    this.askCancel.hidden = true;
    this.askCancel.addEventListener("click", () => void this.answer({ submitted: false }));

    this.askBrowse = el("button", "cw-ask-file-browse");
    this.askBrowse.type = "button";
    this.askBrowse.addEventListener("click", () => this.askFileInput.click());
    this.askFileInput.type = "file";
    this.askFileInput.hidden = true;
    this.askFileInput.addEventListener("change", () => {
      const files = fileList(this.askFileInput.files);
      this.askFileInput.value = "";
      void this.answerFiles(files);
    });
    const askFileRow = el("div", "cw-ask-file-row");
    askFileRow.append(this.askFileText, this.askBrowse, this.askFileInput);
    this.askFile.append(askFileRow, this.askProgress);
    this.askFile.hidden = true;
    this.hint.hidden = true;

    this.voice = new VoiceButton(store, (message) => this.showError(message));
    const tools = el("div", "cw-composer-tools");
    tools.append(this.commandButtons, this.askCancel);
    this.row.append(this.attach, this.fileInput, this.commandChip, this.input, this.voice.el, this.stop, this.send);
    this.el.append(this.commandMenu, this.error, this.hint, this.askFile, this.attachments, this.row, tools);

    // Files dropped anywhere on the composer.
    this.el.addEventListener("dragover", (e) => {
      if (!hasFiles(e) || !this.acceptsFiles()) return;
      e.preventDefault();
      this.el.classList.add("cw-dragging");
    });
    this.el.addEventListener("dragleave", () => this.el.classList.remove("cw-dragging"));
    this.el.addEventListener("drop", (e) => {
      this.el.classList.remove("cw-dragging");
      if (!hasFiles(e) || !this.acceptsFiles()) return;
      e.preventDefault();
      this.dropped(fileList(e.dataTransfer?.files));
    });
    this.setLabels(labels, "");
    // What was typed before a page reload (in one composer of the chat only).
    const draft = store.outbox.takeDraft();
    if (draft) {
      this.input.value = draft;
      this.autosize();
    }
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
    this.attach.title = labels.attach;
    this.attach.setAttribute("aria-label", labels.attach);
    this.askCancel.textContent = labels.cancel;
    this.askBrowse.textContent = labels.browse;
    this.askFileText.textContent = labels.dropFiles;
    this.commandMenu.setAttribute("aria-label", labels.commands);
  }

  update(running: boolean, config: ChatConfig): void {
    this.running = running;
    this.config = config;
    const ask = this.store.ask;
    if (ask?.id !== this.ask?.id) this.setAsk(ask);
    // While an answer runs a message is queued (the outbox holds it), so only a prompt that
    // is not answered by text blocks sending.
    this.blocked = !!ask && ask.kind !== "text";
    this.stop.hidden = !running;
    const upload = config.file_upload;
    this.attach.hidden = !(upload && upload.enabled) || !!ask;
    if (upload?.accept) this.fileInput.accept = acceptAttribute(upload.accept);
    this.setCommands(this.store.commands);
    this.voice.update(config, !!ask && ask.kind !== "text");
    this.refresh();
  }

  dispose(): void {
    this.voice.dispose();
  }

  private refresh(): void {
    this.send.disabled = this.blocked;
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  // ---- ask prompts ---------------------------------------------------------------------

  private setAsk(ask: AskState | null): void {
    this.ask = ask;
    this.askBusy = false;
    this.showError("");
    const kind = ask?.kind;
    const labels = this.labels;
    this.hint.textContent =
      kind === "text" ? labels.answerPrompt : kind === "action" ? labels.chooseAbove : kind === "element" ? labels.fillElement : "";
    this.hint.hidden = !ask || kind === "file";
    this.askCancel.hidden = kind !== "element";
    this.askFile.hidden = kind !== "file";
    this.row.hidden = kind === "file";
    this.askProgress.replaceChildren();
    this.el.dataset.ask = kind ?? "";
    if (kind === "file") {
      const spec = ask?.spec ?? {};
      this.askFileInput.accept = acceptAttribute(spec.accept);
      this.askFileInput.multiple = Number(spec.max_files ?? 1) > 1;
    } else if (kind === "text") {
      this.input.focus({ preventScroll: true });
    }
  }

  /** Send the prompt's answer; a refusal shows its message. */
  private async answer(fields: Record<string, unknown>): Promise<boolean> {
    const ask = this.ask;
    if (!ask || this.askBusy) return false;
    this.askBusy = true;
    const reply = await this.store.request(ASK_REPLY, { ask: ask.id, ...fields });
    this.askBusy = false;
    if (!reply.ok) {
      const why = reply.error?.code === "timeout" ? this.labels.timeout : reply.error?.message || this.labels.error;
      this.showError(why);
      return false;
    }
    this.showError("");
    return true;
  }

  /** Files for a file prompt: checked, uploaded in chunks, then sent as the answer. */
  private async answerFiles(files: File[]): Promise<void> {
    const ask = this.ask;
    if (!ask || ask.kind !== "file" || !files.length || this.askBusy) return;
    const rules: UploadRules = ask.spec ?? {};
    const max = Number(rules.max_files ?? 1);
    if (files.length > max) {
      this.showError(fill(this.labels.tooMany, { n: max }));
      return;
    }
    for (const f of files) {
      const why = checkFile(f, rules, this.labels);
      if (why) {
        this.showError(why);
        return;
      }
    }
    this.showError("");
    this.askBusy = true;
    const rows = files.map((f) => {
      const row = el("div", "cw-attachment");
      const bar = el("progress", "cw-attachment-progress");
      bar.max = 1;
      bar.value = 0;
      row.append(el("span", "cw-attachment-name", f.name), bar);
      this.askProgress.append(row);
      return bar;
    });
    const handles = files.map((f, i) => upload(this.store, f, ask.id, (p) => (rows[i].value = p)));
    const results = await Promise.allSettled(handles.map((h) => h.done));
    this.askBusy = false;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      for (const h of handles) h.abort();
      this.askProgress.replaceChildren();
      this.showError(String((failed.reason as Error)?.message ?? failed.reason));
      return;
    }
    if (this.ask?.id !== ask.id) return;
    const ids = results.map((r) => (r as PromiseFulfilledResult<string>).value);
    if (!(await this.answer({ files: ids }))) this.askProgress.replaceChildren();
  }

  /** A custom element of the pending element prompt submitted its data. */
  elementSubmitted(elementId: string, data: unknown): void {
    const ask = this.ask;
    if (ask?.kind === "element" && ask.spec?.element === elementId) void this.answer({ submitted: true, data: data ?? {} });
  }

  // ---- attachments -----------------------------------------------------------------------

  private acceptsFiles(): boolean {
    return this.ask?.kind === "file" || (!this.ask && !!this.config?.file_upload?.enabled);
  }

  private dropped(files: File[]): void {
    if (this.ask?.kind === "file") void this.answerFiles(files);
    else this.addAttachments(files);
  }

  private onPaste(e: ClipboardEvent): void {
    const files = fileList(e.clipboardData?.files);
    if (!files.length || !this.acceptsFiles()) return;
    e.preventDefault();
    this.dropped(files);
  }

  private addAttachments(files: File[]): void {
    const rules = this.config?.file_upload;
    if (!rules?.enabled || !files.length) return;
    const max = Number(rules.max_files ?? 20);
    const errors: string[] = [];
    for (const file of files) {
      const why = checkFile(file, rules, this.labels) || (this.items.length >= max ? fill(this.labels.tooMany, { n: max }) : "");
      if (why) {
        if (!errors.includes(why)) errors.push(why);
        continue;
      }
      this.addAttachment(file);
    }
    this.showError(errors.join(" "));
  }

  private addAttachment(file: File): void {
    const chip = el("div", "cw-attachment");
    const progress = el("progress", "cw-attachment-progress");
    progress.max = 1;
    progress.value = 0;
    const remove = el("button", "cw-attachment-remove", "×");
    remove.type = "button";
    remove.title = this.labels.removeFile;
    remove.setAttribute("aria-label", `${this.labels.removeFile} ${file.name}`);
    chip.append(el("span", "cw-attachment-name", file.name), progress, remove);
    const item: Attachment = { name: file.name, handle: upload(this.store, file, undefined, (p) => (progress.value = p)), chip, progress, id: null, failed: false };
    item.handle.done.then(
      (id) => {
        item.id = id;
        chip.classList.add("cw-uploaded");
      },
      (err: Error) => {
        if (!this.items.includes(item)) return;
        item.failed = true;
        this.dropAttachment(item);
        if (err?.message !== "aborted") this.showError(err?.message || this.labels.error);
      },
    );
    remove.addEventListener("click", () => this.dropAttachment(item));
    this.items.push(item);
    this.attachments.append(chip);
    this.attachments.hidden = false;
  }

  private dropAttachment(item: Attachment): void {
    this.items = this.items.filter((i) => i !== item);
    item.handle.abort();
    item.chip.remove();
    this.attachments.hidden = this.items.length === 0;
  }

  // ---- commands ----------------------------------------------------------------------------

  private setCommands(commands: Command[]): void {
    const key = JSON.stringify(commands);
    if (key === this.commandsKey) return;
    this.commandsKey = key;
    this.commands = commands;
    if (this.command && !commands.some((c) => c.id === this.command)) this.setCommand(null);
    const buttons = commands.filter((c) => c.button);
    this.commandButtons.replaceChildren(
      ...buttons.map((c) => {
        const b = el("button", "cw-command-button");
        b.type = "button";
        const icon = iconFor(c.icon, "cw-command-icon", 14);
        if (icon) b.append(icon);
        b.append(c.id);
        b.dataset.command = c.id;
        if (c.description) b.title = c.description;
        b.setAttribute("aria-pressed", String(this.command === c.id));
        b.addEventListener("click", () => this.setCommand(this.command === c.id ? null : c.id));
        return b;
      }),
    );
    this.commandButtons.hidden = buttons.length === 0;
  }

  private setCommand(id: string | null): void {
    this.command = id;
    this.commandChip.replaceChildren();
    if (id) {
      const remove = el("button", "cw-command-chip-remove", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", this.labels.removeFile);
      remove.addEventListener("click", () => this.setCommand(null));
      this.commandChip.append(el("span", "cw-command-chip-name", `/${id}`), remove);
    }
    this.commandChip.hidden = !id;
    this.commandChip.dataset.command = id ?? "";
    for (const b of Array.from(this.commandButtons.querySelectorAll<HTMLElement>(".cw-command-button"))) {
      b.setAttribute("aria-pressed", String(b.dataset.command === id));
    }
  }

  private updateMenu(): void {
    const m = /^\/(\S*)$/.exec(this.input.value);
    if (!m || !this.commands.length) {
      this.closeMenu();
      return;
    }
    const prefix = m[1].toLowerCase();
    this.menuItems = this.commands.filter((c) => c.id.toLowerCase().startsWith(prefix));
    if (!this.menuItems.length) {
      this.closeMenu();
      return;
    }
    this.menuIndex = Math.min(this.menuIndex, this.menuItems.length - 1);
    this.drawMenu();
  }

  private drawMenu(): void {
    this.commandMenu.replaceChildren(
      ...this.menuItems.map((c, i) => {
        const item = el("div", "cw-command-item");
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", String(i === this.menuIndex));
        item.dataset.command = c.id;
        const icon = iconFor(c.icon, "cw-command-icon", 14);
        if (icon) item.append(icon);
        item.append(el("span", "cw-command-id", `/${c.id}`), el("span", "cw-command-description", c.description ?? ""));
        item.addEventListener("mousedown", (e) => {
          e.preventDefault();
          this.chooseCommand(c);
        });
        return item;
      }),
    );
    this.commandMenu.hidden = false;
  }

  private closeMenu(): void {
    this.commandMenu.hidden = true;
    this.menuItems = [];
    this.menuIndex = 0;
  }

  private chooseCommand(c: Command): void {
    this.setCommand(c.id);
    this.input.value = "";
    this.closeMenu();
    this.autosize();
    this.input.focus();
  }

  // ---- keys and sending --------------------------------------------------------------------

  private onKey(e: KeyboardEvent): void {
    // Keys typed here are ours, not JupyterLab's notebook shortcuts (Shift+Enter, A, B, …).
    e.stopPropagation();
    if (!this.commandMenu.hidden && this.menuItems.length) {
      const n = this.menuItems.length;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        this.menuIndex = (this.menuIndex + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
        this.drawMenu();
        return;
      }
      if ((e.key === "Enter" && !e.shiftKey && !e.isComposing) || e.key === "Tab") {
        e.preventDefault();
        this.chooseCommand(this.menuItems[this.menuIndex]);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        this.closeMenu();
        return;
      }
    }
    if (e.key === "Backspace" && this.command && !this.input.value) {
      this.setCommand(null);
      return;
    }
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    void this.submit();
  }

  private autosize(): void {
    const t = this.input;
    t.style.height = "auto";
    t.style.height = `${Math.min(t.scrollHeight, 200)}px`;
  }

  /** Send a starter's message (with its command). */
  sendStarter(message: string, command?: string | null): void {
    if (this.blocked) return;
    this.store.outbox.add({ content: message, command: command ?? null, modes: { ...this.store.chosenModes } });
  }

  async submit(): Promise<void> {
    const content = this.input.value;
    if (this.ask?.kind === "text") {
      if (!content.trim() || this.askBusy) return;
      if (await this.answer({ output: content })) {
        const now = this.input.value;
        this.input.value = now.startsWith(content) ? now.slice(content.length).replace(/^\n/, "") : now;
        this.autosize();
        this.store.outbox.saveDraft(this.input.value);
      }
      return;
    }
    const items = [...this.items];
    if ((!content.trim() && !items.length) || this.blocked) return;
    this.showError("");
    const draft: Draft = { content, command: this.command, modes: { ...this.store.chosenModes } };
    const refused = this.store.outbox.refusal(draft);
    if (refused) {
      this.showError(refused); // the text stays in the composer, to be shortened
      return;
    }
    if (items.length) {
      // The uploads go on with the message; it is sent once they are done.
      draft.files = Promise.all(items.map((i) => i.handle.done));
      draft.fileNames = items.map((i) => i.name);
    }
    this.store.outbox.add(draft);
    // The outbox has the message now (and shows it): the composer is free for the next one.
    this.input.value = "";
    this.autosize();
    this.store.outbox.saveDraft("");
    for (const item of items) item.chip.remove();
    this.items = this.items.filter((i) => !items.includes(i));
    this.attachments.hidden = this.items.length === 0;
    const used = this.commands.find((c) => c.id === this.command);
    if (used && !used.persistent && !used.button) this.setCommand(null);
  }

  /** A message taken back from the outbox, put before what is typed now. */
  restore(item: OutboxItem): void {
    const now = this.input.value;
    this.input.value = now ? `${item.content}\n${now}` : item.content;
    if (item.command && this.commands.some((c) => c.id === item.command)) this.setCommand(item.command);
    this.autosize();
    this.store.outbox.saveDraft(this.input.value);
    this.input.focus();
  }

  private async onStop(): Promise<void> {
    const reply = await this.store.request(STOP, {});
    if (!reply.ok && this.running) this.showError(reply.error?.message ? reply.error.message : this.labels.error);
  }
}
