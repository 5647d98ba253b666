// An LLM call's metadata (a step's `generation`): a one-line summary (provider, model, tokens,
// latency) that opens onto the settings, the prompt messages with their roles, and the
// completion. Everything comes from the kernel's step and is set as text.
import type { Labels } from "../i18n";
import { el } from "./format";

type Json = Record<string, unknown>;

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function num(value: unknown, digits = 0, unit = ""): string | null {
  return typeof value === "number" && Number.isFinite(value) ? `${value.toFixed(digits)}${unit}` : null;
}

function message(role: string, content: unknown, labels: Labels): HTMLElement {
  const row = el("div", "cw-gen-message");
  row.dataset.role = role;
  row.append(el("span", "cw-gen-role", role || labels.output), el("pre", "cw-gen-content", text(content)));
  return row;
}

export class GenerationView {
  readonly el = document.createElement("details");
  private last: unknown = null;

  constructor() {
    this.el.className = "cw-generation";
    this.el.hidden = true;
  }

  update(generation: unknown, labels: Labels): void {
    if (generation === this.last) return;
    this.last = generation;
    const g = generation && typeof generation === "object" ? (generation as Json) : null;
    this.el.hidden = !g;
    if (!g) return;
    const facts = [
      [g.provider, g.model].filter((v) => typeof v === "string" && v).join(" · "),
      num(g.input_token_count) && num(g.output_token_count)
        ? `${g.input_token_count} → ${g.output_token_count} ${labels.tokens}`
        : num(g.token_count) && `${g.token_count} ${labels.tokens}`,
      num(g.duration, 2, " s"),
      num(g.tt_first_token, 0, ` ms ${labels.firstToken}`),
      num(g.token_throughput_in_s, 1, ` ${labels.tokens}/s`),
    ].filter((f): f is string => typeof f === "string" && f.length > 0);
    const summary = el("summary", "cw-gen-summary", `${labels.generation}: ${facts.join(", ")}`);
    const body = el("div", "cw-gen-body");
    const settings = g.settings && typeof g.settings === "object" ? (g.settings as Json) : null;
    if (settings && Object.keys(settings).length) {
      const table = el("table", "cw-gen-settings");
      for (const [key, value] of Object.entries(settings)) {
        const tr = el("tr");
        tr.append(el("th", undefined, key), el("td", undefined, text(value)));
        table.append(tr);
      }
      body.append(table);
    }
    const messages = Array.isArray(g.messages) ? g.messages : [];
    for (const m of messages) {
      if (m && typeof m === "object") body.append(message(text((m as Json).role), (m as Json).content, labels));
    }
    if (typeof g.prompt === "string") body.append(message("prompt", g.prompt, labels));
    const completion = g.message_completion && typeof g.message_completion === "object"
      ? (g.message_completion as Json)
      : null;
    if (completion) {
      const row = message(text(completion.role) || "assistant", completion.content, labels);
      row.classList.add("cw-gen-completion");
      body.append(row);
    } else if (typeof g.completion === "string") {
      const row = message("completion", g.completion, labels);
      row.classList.add("cw-gen-completion");
      body.append(row);
    }
    if (typeof g.error === "string" && g.error) body.append(el("div", "cw-gen-error", g.error));
    this.el.replaceChildren(summary, body);
  }
}
