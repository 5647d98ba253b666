// What a chat shows beside its messages, in the reference's terms: the project's readme and
// starter categories on an empty chat, the keys the user must provide (user_env), the
// composer's mode pickers, the element sidebar, the chat's own elements (task lists),
// toasts, and window messages between the kernel and the page that embeds the chat.
import type { Labels } from "../i18n";
import { renderMarkdown } from "../markdown";
import { TOAST, USER_ENV, WINDOW_MESSAGE } from "../protocol";
import type { ChatStore } from "../store";
import { type ElementHost, ElementView } from "./elements";
import { el } from "./format";

const TOAST_MS = 5000;

export interface PageHost extends ElementHost {
  readonly readOnly: boolean;
  sendStarter(message: string, command?: string | null): void;
}

/** Element views keyed by id, kept in step with the store and disposed when they go. */
class ElementList {
  readonly el: HTMLElement;
  private readonly views = new Map<string, ElementView>();

  constructor(
    private readonly host: ElementHost,
    className: string,
  ) {
    this.el = el("div", className);
  }

  update(ids: string[]): void {
    const store = this.host.store;
    const wanted = ids.filter((id) => store.element(id));
    for (const [id, view] of this.views) {
      if (!wanted.includes(id)) {
        view.dispose();
        this.views.delete(id);
      }
    }
    this.el.replaceChildren(
      ...wanted.map((id) => {
        let view = this.views.get(id);
        if (!view) this.views.set(id, (view = new ElementView(this.host, id)));
        view.update(store.element(id)!, store.elementData(id));
        return view.el;
      }),
    );
    this.el.hidden = wanted.length === 0;
  }

  dispose(): void {
    for (const view of this.views.values()) view.dispose();
    this.views.clear();
  }
}

export class PageExtras {
  /** Shown on an empty chat, under the starters. */
  readonly empty = el("div", "cw-empty-extras");
  /** Above the composer: mode pickers and the chat's own elements. */
  readonly bar = el("div", "cw-page-bar");
  /** Beside the messages: the element sidebar. */
  readonly sidebar = el("aside", "cw-element-sidebar");
  /** Over the chat: toasts. */
  readonly toasts = el("div", "cw-toasts");
  private readonly readme = el("div", "cw-readme cw-markdown");
  private readonly categories = el("div", "cw-starter-categories");
  private readonly env = el("form", "cw-user-env");
  private readonly modes = el("div", "cw-modes");
  private readonly sidebarTitle = el("div", "cw-element-sidebar-title");
  private readonly sidebarElements: ElementList;
  private readonly chatElements: ElementList;
  private key = "";
  private openCategory = "";
  private envSent = false;
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly host: PageHost,
    private readonly labels: Labels,
  ) {
    this.sidebarElements = new ElementList(host, "cw-element-sidebar-body");
    this.chatElements = new ElementList(host, "cw-chat-elements");
    this.empty.append(this.readme, this.categories, this.env);
    this.bar.append(this.modes, this.chatElements.el);
    this.sidebar.append(this.sidebarTitle, this.sidebarElements.el);
    this.sidebar.hidden = true;
    this.toasts.setAttribute("role", "status");
    this.env.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.sendEnv();
    });
    const store = host.store;
    this.stops.push(store.onEvent(TOAST, (m) => this.toast(String(m.message ?? ""), String(m.type ?? "info"))));
    if (!host.readOnly) this.bridgeWindow(store);
  }

  /** Post the kernel's window messages to the embedding page, and hand that page's to the kernel.
   * Only in a frame, and only from the parent window: a chat on its own page talks to nobody. */
  private bridgeWindow(store: ChatStore): void {
    if (window.parent === window) return;
    this.stops.push(store.onEvent(WINDOW_MESSAGE, (m) => window.parent.postMessage(m.data, "*")));
    const receive = (event: MessageEvent) => {
      if (event.source !== window.parent) return;
      void store.request(WINDOW_MESSAGE, { data: event.data }).catch(() => undefined);
    };
    window.addEventListener("message", receive);
    this.stops.push(() => window.removeEventListener("message", receive));
  }

  update(): void {
    const store = this.host.store;
    const empty = store.empty && !this.host.readOnly;
    const key = JSON.stringify([
      empty,
      store.readme,
      store.starterCategories,
      store.userEnvKeys,
      store.modes,
      store.elementSidebar,
      store.chatElements.map((id) => store.element(id)),
      this.openCategory,
      this.envSent,
    ]);
    if (key === this.key) return;
    this.key = key;
    this.readme.replaceChildren(empty && store.readme ? renderMarkdown(store.readme) : "");
    this.readme.hidden = !(empty && store.readme);
    this.renderCategories(empty);
    this.renderEnv();
    this.renderModes();
    const panel = store.elementSidebar;
    this.sidebarTitle.textContent = typeof panel.title === "string" ? panel.title : "";
    const inPanel = Array.isArray(panel.elements) ? panel.elements.map(String) : [];
    this.sidebarElements.update(inPanel);
    this.sidebar.hidden = inPanel.length === 0 && !panel.title;
    this.chatElements.update(store.chatElements.filter((id) => !inPanel.includes(id)));
  }

  private renderCategories(empty: boolean): void {
    const categories = empty ? this.host.store.starterCategories : [];
    this.categories.replaceChildren(
      ...categories.map((c) => {
        const box = el("div", "cw-starter-category");
        const toggle = el("button", "cw-starter-category-button", String(c.label ?? ""));
        toggle.type = "button";
        const open = this.openCategory === c.label;
        toggle.setAttribute("aria-expanded", String(open));
        toggle.addEventListener("click", () => {
          this.openCategory = open ? "" : String(c.label ?? "");
          this.update();
        });
        box.append(toggle);
        if (open) {
          for (const s of c.starters.filter((s) => s && typeof s.message === "string")) {
            const b = el("button", "cw-starter", s.label || s.message);
            b.type = "button";
            b.title = s.message;
            b.addEventListener("click", () => this.host.sendStarter(s.message, s.command));
            box.append(b);
          }
        }
        return box;
      }),
    );
    this.categories.hidden = categories.length === 0;
  }

  private renderEnv(): void {
    const keys = this.host.readOnly || this.envSent ? [] : this.host.store.userEnvKeys;
    const fields = keys.map((key) => {
      const label = el("label", "cw-user-env-field");
      const input = el("input");
      input.name = key;
      input.type = "password";
      input.autocomplete = "off";
      label.append(el("span", "", key), input);
      return label;
    });
    const submit = el("button", "cw-user-env-submit", this.labels.send);
    submit.type = "submit";
    this.env.replaceChildren(...fields, ...(keys.length ? [submit] : []));
    this.env.hidden = keys.length === 0;
  }

  private async sendEnv(): Promise<void> {
    const values: Record<string, string> = {};
    for (const input of Array.from(this.env.querySelectorAll("input"))) values[input.name] = input.value;
    const reply = await this.host.store.request(USER_ENV, { values });
    if (reply.ok) this.envSent = true;
    else this.toast(reply.error?.message || this.labels.error, "error");
    this.update();
  }

  private renderModes(): void {
    const store = this.host.store;
    const chosen: Record<string, string> = {};
    this.modes.replaceChildren(
      ...store.modes.map((mode) => {
        const options = mode.options.filter((o) => o && typeof o.id === "string");
        const previous = store.chosenModes[mode.id];
        const pick = options.some((o) => o.id === previous) ? previous : (options.find((o) => o.default) ?? options[0])?.id;
        if (pick) chosen[mode.id] = pick;
        const select = el("select", "cw-mode");
        select.title = mode.name;
        select.setAttribute("aria-label", mode.name);
        for (const o of options) {
          const option = el("option", "", o.name);
          option.value = o.id;
          if (o.description) option.title = o.description;
          select.append(option);
        }
        if (pick) select.value = pick;
        select.addEventListener("change", () => (store.chosenModes = { ...store.chosenModes, [mode.id]: select.value }));
        return select;
      }),
    );
    store.chosenModes = chosen;
    this.modes.hidden = store.modes.length === 0;
  }

  toast(message: string, type: string): void {
    const toast = el("div", `cw-toast cw-toast-${/^(info|success|warning|error)$/.test(type) ? type : "info"}`, message);
    this.toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
  }

  dispose(): void {
    for (const stop of this.stops) stop();
    this.sidebarElements.dispose();
    this.chatElements.dispose();
  }
}
