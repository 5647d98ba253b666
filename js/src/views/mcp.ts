// The MCP servers dialog: the chat's connected servers (the `connected_mcp` trait), each with a
// Disconnect button, and a form to connect one more (name, transport, command line or URL).
// Shown only when the app lets its users connect servers (`config.mcp.enabled`); what may be
// connected is decided in the kernel, which answers a refusal with a message shown here.
import { resolveLanguage } from "../i18n";
import { MCP_CONNECT, MCP_DISCONNECT, type McpServerInfo } from "../protocol";
import type { ChatStore } from "../store";
import { button, el } from "./format";
import { stepIcon } from "./icons";

/** Connecting may start a process and wait for the server's answer: the kernel allows 30 s. */
const CONNECT_TIMEOUT_MS = 60_000;

const en = {
  title: "MCP servers",
  open: "MCP servers",
  close: "Close",
  none: "No server connected.",
  name: "Name",
  transport: "Transport",
  command: "Command",
  url: "URL",
  commandHint: "npx my-mcp-server --flag",
  urlHint: "https://example.org/mcp",
  connect: "Connect",
  connecting: "Connecting…",
  disconnect: "Disconnect",
  tools: "tools",
  error: "The server could not be connected.",
};
type McpLabels = typeof en;
const CATALOG: Record<string, McpLabels> = {
  en,
  fr: {
    title: "Serveurs MCP",
    open: "Serveurs MCP",
    close: "Fermer",
    none: "Aucun serveur connecté.",
    name: "Nom",
    transport: "Transport",
    command: "Commande",
    url: "URL",
    commandHint: "npx mon-serveur-mcp --option",
    urlHint: "https://example.org/mcp",
    connect: "Connecter",
    connecting: "Connexion…",
    disconnect: "Déconnecter",
    tools: "outils",
    error: "Le serveur n'a pas pu être connecté.",
  },
  de: {
    title: "MCP-Server",
    open: "MCP-Server",
    close: "Schließen",
    none: "Kein Server verbunden.",
    name: "Name",
    transport: "Transport",
    command: "Befehl",
    url: "URL",
    commandHint: "npx mein-mcp-server --option",
    urlHint: "https://example.org/mcp",
    connect: "Verbinden",
    connecting: "Verbinde…",
    disconnect: "Trennen",
    tools: "Tools",
    error: "Der Server konnte nicht verbunden werden.",
  },
};

const TRANSPORT_NAMES: Record<string, string> = { stdio: "stdio", sse: "SSE", "streamable-http": "Streamable HTTP" };

export class McpPanel {
  readonly el: HTMLElement;
  /** The header button that opens the dialog; hidden unless the app enables MCP. */
  readonly button: HTMLButtonElement;
  private labels: McpLabels = en;
  private readonly heading = el("span", "cw-panel-title");
  private readonly closeButton = button("cw-panel-close", "×");
  private readonly list = el("ul", "cw-mcp-list");
  private readonly nameLabel = el("label", "cw-setting-label");
  private readonly nameInput = el("input", "cw-mcp-name");
  private readonly transportLabel = el("label", "cw-setting-label");
  private readonly transport = el("select", "cw-mcp-transport");
  private readonly targetLabel = el("label", "cw-setting-label");
  private readonly target = el("input", "cw-mcp-target");
  private readonly error = el("div", "cw-mcp-error cw-settings-error");
  private readonly connectButton = el("button", "cw-mcp-connect cw-settings-confirm");
  private transportsKey = "";
  private listKey = "";
  private busy = false;

  constructor(private readonly store: ChatStore) {
    this.button = button("cw-mcp-button", "", en.open);
    this.button.append(stepIcon("tool")); // the servers' tools: the wrench of tool steps
    this.button.hidden = true;
    this.el = el("div", "cw-mcp cw-panel");
    this.el.setAttribute("role", "dialog");
    this.el.hidden = true;
    this.closeButton.addEventListener("click", () => this.close());
    const head = el("div", "cw-panel-header");
    head.append(this.heading, this.closeButton);

    const form = el("form", "cw-mcp-form cw-settings-inputs");
    const uid = Math.random().toString(36).slice(2);
    const row = (label: HTMLLabelElement, field: HTMLInputElement | HTMLSelectElement, id: string) => {
      field.id = `cw-mcp-${id}-${uid}`;
      label.htmlFor = field.id;
      const wrap = el("div", "cw-setting");
      wrap.append(label, field);
      return wrap;
    };
    this.nameInput.type = "text";
    this.nameInput.maxLength = 64;
    this.nameInput.required = true;
    this.target.type = "text";
    this.target.required = true;
    this.target.spellcheck = false;
    this.nameInput.spellcheck = false;
    this.transport.addEventListener("change", () => this.updateTarget());
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.connectButton.type = "submit";
    const buttons = el("div", "cw-settings-buttons");
    buttons.append(this.connectButton);
    form.append(
      row(this.nameLabel, this.nameInput, "name"),
      row(this.transportLabel, this.transport, "transport"),
      row(this.targetLabel, this.target, "target"),
      this.error,
      buttons,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.connect();
    });
    this.el.append(head, this.list, form);
    // Keys typed in the dialog are ours, not the notebook's shortcuts.
    this.el.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Escape") this.close();
    });
    this.setLabels();
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  open(): void {
    this.update();
    this.el.hidden = false;
    this.nameInput.focus();
  }

  close(): void {
    this.el.hidden = true;
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  /** Follow the config (shown or not, transports, language) and the list of servers. */
  update(): void {
    const config = this.store.config.mcp;
    const transports = config?.enabled && Array.isArray(config.transports) ? config.transports.map(String) : [];
    this.button.hidden = transports.length === 0;
    if (this.button.hidden) this.close();
    this.setLabels();
    const key = transports.join(",");
    if (key !== this.transportsKey) {
      this.transportsKey = key;
      const chosen = this.transport.value;
      this.transport.replaceChildren(
        ...transports.map((t) => {
          const option = el("option", "", TRANSPORT_NAMES[t] ?? t);
          option.value = t;
          return option;
        }),
      );
      if (transports.includes(chosen)) this.transport.value = chosen;
      this.updateTarget();
    }
    this.renderList(this.store.connectedMcp);
  }

  private setLabels(): void {
    const labels = CATALOG[resolveLanguage(this.store.config.language)] ?? en;
    if (labels === this.labels && this.heading.textContent) return;
    this.labels = labels;
    this.heading.textContent = labels.title;
    this.el.setAttribute("aria-label", labels.title);
    this.button.title = labels.open;
    this.button.setAttribute("aria-label", labels.open);
    this.closeButton.title = labels.close;
    this.closeButton.setAttribute("aria-label", labels.close);
    this.nameLabel.textContent = labels.name;
    this.transportLabel.textContent = labels.transport;
    this.connectButton.textContent = this.busy ? labels.connecting : labels.connect;
    this.listKey = "";
    this.updateTarget();
  }

  private updateTarget(): void {
    const stdio = this.transport.value === "stdio";
    this.targetLabel.textContent = stdio ? this.labels.command : this.labels.url;
    this.target.placeholder = stdio ? this.labels.commandHint : this.labels.urlHint;
    this.target.dataset.kind = stdio ? "command" : "url";
  }

  private renderList(servers: McpServerInfo[]): void {
    const key = JSON.stringify(servers);
    if (key === this.listKey) return;
    this.listKey = key;
    if (!servers.length) {
      this.list.replaceChildren(el("li", "cw-mcp-none", this.labels.none));
      return;
    }
    this.list.replaceChildren(
      ...servers.map((server) => {
        const item = el("li", "cw-mcp-server");
        item.dataset.name = server.name;
        const tools = Array.isArray(server.tools) ? server.tools : [];
        const text = el("span", "cw-mcp-server-text");
        text.append(
          el("strong", "cw-mcp-server-name", server.name),
          el("span", "cw-mcp-server-meta", ` · ${TRANSPORT_NAMES[server.transport] ?? server.transport} · ${tools.length} ${this.labels.tools}`),
        );
        text.title = `${server.target}\n${tools.join(", ")}`;
        const disconnect = el("button", "cw-mcp-disconnect cw-settings-cancel", this.labels.disconnect);
        disconnect.type = "button";
        disconnect.addEventListener("click", () => void this.disconnect(server.name, disconnect));
        item.append(text, disconnect);
        return item;
      }),
    );
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  private async connect(): Promise<void> {
    if (this.busy) return;
    const name = this.nameInput.value.trim();
    const target = this.target.value.trim();
    if (!name || !target) return;
    this.busy = true;
    this.connectButton.disabled = true;
    this.connectButton.textContent = this.labels.connecting;
    this.showError("");
    const reply = await this.store.request(MCP_CONNECT, { name, transport: this.transport.value, target }, undefined, CONNECT_TIMEOUT_MS);
    this.busy = false;
    this.connectButton.disabled = false;
    this.connectButton.textContent = this.labels.connect;
    if (reply.ok) {
      this.nameInput.value = "";
      this.target.value = "";
    } else {
      this.showError(reply.error?.message || this.labels.error);
    }
  }

  private async disconnect(name: string, control: HTMLButtonElement): Promise<void> {
    control.disabled = true;
    const reply = await this.store.request(MCP_DISCONNECT, { name });
    control.disabled = false;
    this.showError(reply.ok ? "" : reply.error?.message || this.labels.error);
  }
}
