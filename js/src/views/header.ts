// The header: the title, the chat profile selector, and buttons for a new chat, the thread
// list and the settings panel (its inputs from the `settings` trait; Confirm sends them).
import type { Labels } from "../i18n";
import { type InputDict, NEW_CHAT, PROFILE, SETTINGS, SETTINGS_EDIT } from "../protocol";
import type { ChatStore } from "../store";
import { button, el } from "./format";


type Reader = () => unknown;

export class SettingsPanel {
  readonly el: HTMLElement;
  private readonly form = el("div", "cw-settings-inputs");
  private readonly error = el("div", "cw-settings-error");
  private readers = new Map<string, Reader>();
  private readonly confirm: HTMLButtonElement;

  constructor(private readonly store: ChatStore, private readonly labels: Labels) {
    this.el = el("div", "cw-settings cw-panel");
    this.el.setAttribute("role", "dialog");
    this.el.setAttribute("aria-label", labels.settings);
    const head = el("div", "cw-panel-header");
    const close = button("cw-panel-close", "×", labels.close);
    close.addEventListener("click", () => this.close());
    head.append(el("span", "cw-panel-title", labels.settings), close);
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    const foot = el("div", "cw-settings-buttons");
    const cancel = el("button", "cw-settings-cancel", labels.cancel);
    cancel.type = "button";
    cancel.addEventListener("click", () => this.close());
    this.confirm = el("button", "cw-settings-confirm", labels.confirm);
    this.confirm.type = "button";
    this.confirm.addEventListener("click", () => void this.submit());
    foot.append(cancel, this.confirm);
    this.el.append(head, this.form, this.error, foot);
    this.el.hidden = true;
    // Keys typed in the panel are ours, not the notebook's shortcuts.
    this.el.addEventListener("keydown", (e) => e.stopPropagation());
    // Values being edited, before Confirm, for @on_settings_edit (nothing is kept).
    this.form.addEventListener("change", () => {
      void this.store.request(SETTINGS_EDIT, { values: this.values() }).then((reply) => {
        if (!reply.ok && reply.error?.code !== "cancelled") this.showError(reply.error?.message || this.labels.error);
      });
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  open(): void {
    this.build();
    this.el.hidden = false;
    (this.form.querySelector("input, select, textarea") as HTMLElement | null)?.focus();
  }

  close(): void {
    this.el.hidden = true;
    this.error.hidden = true;
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  /** The inputs with the trait's current values. */
  build(): void {
    const { inputs = [], values = {} } = this.store.settings;
    this.readers = new Map();
    // Inputs of a tab (ChatSettings([Tab(...)])) come grouped, under the tab's label.
    const nodes: HTMLElement[] = [];
    let tab = "";
    for (const input of inputs.filter((i) => i && typeof i.id === "string")) {
      const label = typeof input.tab === "string" ? input.tab : "";
      if (label && label !== tab) nodes.push(el("div", "cw-setting-tab", label));
      tab = label;
      nodes.push(this.field(input, input.id in values ? values[input.id] : input.initial));
    }
    this.form.replaceChildren(...nodes);
  }

  private field(input: InputDict, value: unknown): HTMLElement {
    const wrap = el("div", "cw-setting");
    wrap.dataset.settingId = input.id;
    wrap.dataset.type = input.type;
    const uid = `cw-setting-${Math.random().toString(36).slice(2)}`;
    const label = el("label", "cw-setting-label", input.label || input.id);
    label.htmlFor = uid;
    if (input.tooltip) label.title = input.tooltip;
    wrap.append(label);
    const options = Array.isArray(input.options) ? input.options : [];
    const num = (v: unknown) => (typeof v === "number" ? String(v) : "");
    switch (input.type) {
      case "numberinput":
      case "slider": {
        const field = el("input", "cw-setting-input");
        field.id = uid;
        field.type = input.type === "slider" ? "range" : "number";
        if (typeof input.min === "number") field.min = String(input.min);
        if (typeof input.max === "number") field.max = String(input.max);
        if (typeof input.step === "number") field.step = String(input.step);
        else if (input.type === "numberinput") field.step = "any";
        field.value = num(value);
        wrap.append(field);
        if (input.type === "slider") {
          const shown = el("output", "cw-setting-value", field.value);
          field.addEventListener("input", () => (shown.textContent = field.value));
          wrap.append(shown);
        }
        this.readers.set(input.id, () => (field.value === "" ? null : Number(field.value)));
        break;
      }
      case "switch":
      case "checkbox": {
        const field = el("input", "cw-setting-input");
        field.id = uid;
        field.type = "checkbox";
        if (input.type === "switch") field.setAttribute("role", "switch");
        field.checked = value === true;
        wrap.classList.add("cw-setting-inline");
        wrap.prepend(field);
        this.readers.set(input.id, () => field.checked);
        break;
      }
      case "select": {
        const field = el("select", "cw-setting-input");
        field.id = uid;
        for (const o of options) {
          const opt = el("option", "", String(o.label));
          opt.value = String(o.value);
          field.append(opt);
        }
        field.value = typeof value === "string" ? value : "";
        wrap.append(field);
        this.readers.set(input.id, () => field.value);
        break;
      }
      case "radio":
      case "multiselect": {
        const group = el("div", "cw-setting-options");
        group.setAttribute("role", input.type === "radio" ? "radiogroup" : "group");
        group.setAttribute("aria-label", input.label || input.id);
        const boxes: HTMLInputElement[] = [];
        const chosen = Array.isArray(value) ? value.map(String) : [String(value ?? "")];
        for (const o of options) {
          const line = el("label", "cw-setting-option");
          const box = el("input");
          box.type = input.type === "radio" ? "radio" : "checkbox";
          box.name = uid;
          box.value = String(o.value);
          box.checked = chosen.includes(String(o.value));
          boxes.push(box);
          line.append(box, el("span", "", String(o.label)));
          group.append(line);
        }
        wrap.append(group);
        this.readers.set(input.id, () =>
          input.type === "radio" ? boxes.find((b) => b.checked)?.value ?? null : boxes.filter((b) => b.checked).map((b) => b.value),
        );
        break;
      }
      case "datepicker": {
        // One date, or a [start, end] range, as YYYY-MM-DD (the kernel checks min/max again).
        const range = input.mode === "range";
        const days = (range ? [0, 1] : [0]).map((i) => {
          const field = el("input", "cw-setting-input");
          field.type = "date";
          if (i === 0) field.id = uid;
          if (typeof input.min_date === "string") field.min = input.min_date;
          if (typeof input.max_date === "string") field.max = input.max_date;
          const v = range && Array.isArray(value) ? value[i] : value;
          field.value = typeof v === "string" ? v : "";
          wrap.append(field);
          return field;
        });
        this.readers.set(input.id, () => {
          const picked = days.map((d) => d.value || null);
          return range ? (picked.every(Boolean) ? picked : null) : picked[0];
        });
        break;
      }
      case "tags": {
        const field = el("input", "cw-setting-input");
        field.id = uid;
        field.type = "text";
        field.value = Array.isArray(value) ? value.map(String).join(", ") : "";
        field.placeholder = "a, b, c";
        wrap.append(field);
        this.readers.set(input.id, () =>
          field.value
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean),
        );
        break;
      }
      default: {
        const field = input.multiline ? el("textarea", "cw-setting-input") : el("input", "cw-setting-input");
        field.id = uid;
        if (field instanceof HTMLInputElement) field.type = "text";
        if (input.placeholder) field.placeholder = input.placeholder;
        field.value = typeof value === "string" ? value : value == null ? "" : String(value);
        wrap.append(field);
        this.readers.set(input.id, () => field.value);
      }
    }
    if (input.description) wrap.append(el("div", "cw-setting-description", input.description));
    return wrap;
  }

  private values(): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [id, read] of this.readers) values[id] = read();
    return values;
  }

  private async submit(): Promise<void> {
    const values = this.values();
    this.confirm.disabled = true;
    const reply = await this.store.request(SETTINGS, { values });
    this.confirm.disabled = false;
    if (reply.ok) this.close();
    else this.showError(reply.error?.message || this.labels.error);
  }
}

export class Header {
  readonly el: HTMLElement;
  readonly title = el("div", "cw-title");
  private readonly tools = el("div", "cw-header-tools");
  private readonly profile = el("select", "cw-profile");
  readonly newChat: HTMLButtonElement;
  readonly threadsButton: HTMLButtonElement;
  readonly settingsButton: HTMLButtonElement;
  private readonly error = el("div", "cw-header-error");
  private profilesKey = "";
  threadsAvailable = true;

  constructor(private readonly store: ChatStore, private readonly labels: Labels, private readonly readOnly: boolean) {
    this.el = el("div", "cw-header");
    this.profile.setAttribute("aria-label", labels.profile);
    this.profile.hidden = true;
    this.profile.addEventListener("change", () => void this.chooseProfile());
    this.newChat = button("cw-new-chat", "+", labels.newChat);
    this.newChat.addEventListener("click", async () => {
      this.newChat.disabled = true;
      const reply = await this.store.request(NEW_CHAT, {});
      this.newChat.disabled = false;
      this.showError(reply.ok ? "" : reply.error?.message || labels.error);
    });
    this.threadsButton = button("cw-threads-button", "☰", labels.threads);
    this.settingsButton = button("cw-settings-button", "⚙", labels.settings);
    this.settingsButton.hidden = true;
    this.error.hidden = true;
    this.error.setAttribute("role", "alert");
    this.tools.append(this.profile, this.threadsButton, this.newChat, this.settingsButton);
    this.tools.hidden = readOnly;
    this.el.append(this.title, this.tools, this.error);
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  /** Add a button of another panel to the header's tools. */
  addTool(tool: HTMLElement): void {
    this.tools.append(tool);
  }

  update(): void {
    const store = this.store;
    this.title.textContent = store.title;
    const inputs = store.settings.inputs;
    this.settingsButton.hidden = !(Array.isArray(inputs) && inputs.length);
    this.threadsButton.hidden = !this.threadsAvailable;
    const profiles = store.profiles;
    const key = JSON.stringify(profiles.map((p) => p.name));
    if (key !== this.profilesKey) {
      this.profilesKey = key;
      this.profile.replaceChildren(
        ...profiles.map((p) => {
          const o = el("option", "", p.name);
          o.value = p.name;
          if (p.markdown_description) o.title = p.markdown_description;
          return o;
        }),
      );
    }
    this.profile.hidden = profiles.length < 2 && !(profiles.length === 1 && store.profile !== profiles[0].name);
    if (profiles.some((p) => p.name === store.profile)) this.profile.value = store.profile;
    this.title.hidden = !store.title;
    this.el.hidden = !store.title && this.readOnly;
  }

  private async chooseProfile(): Promise<void> {
    const name = this.profile.value;
    if (name === this.store.profile) return;
    this.profile.disabled = true;
    const reply = await this.store.request(PROFILE, { name });
    this.profile.disabled = false;
    if (!reply.ok) {
      this.profile.value = this.store.profile;
      this.showError(reply.error?.message || this.labels.error);
    } else this.showError("");
  }
}
