// The thread list: the owner's stored conversations of this app (of every app with the
// "All apps" switch, each row then naming its app), searched, grouped by date (Today,
// Yesterday, Previous 7 days, Older, by `updatedAt`), paged with the reply's cursor. Each
// one can be resumed, renamed inline, deleted (after an inline confirmation) and shared
// (the kernel publishes it; the public link is the one the server extension answers).
import type { Labels } from "../i18n";
import { DELETE_THREAD, RENAME, RESUME, SHARE, THREADS, type ThreadSummary } from "../protocol";
import type { ChatStore } from "../store";
import { serverBase } from "../server";
import { button, el } from "./format";

export { serverBase };

const DEBOUNCE_MS = 300;
const DAY = 86_400_000;

/**
 * Headers for a request to the server's own API. The `_xsrf` cookie's value goes along as
 * `X-XSRFToken`, as JupyterLab's own requests send it: a JupyterHub single-user server
 * refuses cookie-authenticated API requests without it, even GETs.
 */
export function serverHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
  return match ? { ...extra, "X-XSRFToken": decodeURIComponent(match[1]) } : extra;
}

/** The public link of a shared thread, as the server extension gives it; null without one. */
export async function shareLink(threadId: string): Promise<string | null> {
  const base = serverBase();
  const url = new URL(
    `chatwidget/api/threads/${encodeURIComponent(threadId)}/share`,
    base.endsWith("/") ? base : `${base}/`,
  );
  try {
    const response = await fetch(url.href, {
      credentials: "same-origin",
      headers: serverHeaders({ Accept: "application/json" }),
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { shareUrl?: unknown };
    if (typeof body.shareUrl !== "string" || !/^(\/|https?:)/i.test(body.shareUrl)) return null;
    return new URL(body.shareUrl, window.location.origin).href;
  } catch {
    return null;
  }
}


function group(when: string | null | undefined, now: Date, labels: Labels): string {
  const t = when ? new Date(when).getTime() : NaN;
  if (Number.isNaN(t)) return labels.older;
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  if (t >= today) return labels.today;
  if (t >= today - DAY) return labels.yesterday;
  if (t >= today - 7 * DAY) return labels.previous7;
  return labels.older;
}

/**
 * How a row names its app: a default name ("<folders>/<notebook>: <title>") without its
 * folders, any other name whole. The whole name is the row's tooltip.
 */
export function appLabel(name: string): string {
  const m = /^(?:.*[\\/])?([^\\/]+\.(?:ipynb|py): [\s\S]*)$/.exec(name);
  return m ? m[1] : name;
}

export class ThreadsPanel {
  readonly el: HTMLElement;
  private readonly search = el("input", "cw-threads-search");
  private readonly allApps = el("input", "cw-threads-all");
  private readonly list = el("div", "cw-thread-list");
  private readonly more: HTMLButtonElement;
  private readonly error = el("div", "cw-threads-error");
  private threads: ThreadSummary[] = [];
  private cursor: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private query = 0;

  constructor(
    private readonly store: ChatStore,
    private labels: Labels,
    private readonly onUnavailable: () => void,
    private readonly onResumed: () => void,
  ) {
    this.el = el("div", "cw-threads cw-panel");
    this.el.setAttribute("role", "dialog");
    this.el.setAttribute("aria-label", labels.threads);
    const head = el("div", "cw-panel-header");
    const close = button("cw-panel-close", "×", labels.close);
    close.addEventListener("click", () => this.close());
    head.append(el("span", "cw-panel-title", labels.threads), close);
    this.search.type = "search";
    this.search.placeholder = labels.search;
    this.search.setAttribute("aria-label", labels.search);
    this.search.addEventListener("keydown", (e) => e.stopPropagation());
    this.search.addEventListener("input", () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.load(true), DEBOUNCE_MS);
    });
    this.allApps.type = "checkbox";
    this.allApps.addEventListener("change", () => void this.load(true));
    const scope = el("label", "cw-threads-scope");
    scope.append(this.allApps, el("span", "", labels.allApps));
    const tools = el("div", "cw-threads-tools");
    tools.append(this.search, scope);
    this.more = button("cw-threads-more", labels.loadMore);
    this.more.hidden = true;
    this.more.addEventListener("click", () => void this.load(false));
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.el.append(head, tools, this.error, this.list, this.more);
    this.el.hidden = true;
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  open(): void {
    this.el.hidden = false;
    void this.load(true);
    this.search.focus();
  }

  close(): void {
    this.el.hidden = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  async load(reset: boolean): Promise<void> {
    const ticket = ++this.query;
    const fields: Record<string, unknown> = {};
    const search = this.search.value.trim();
    if (search) fields.search = search;
    if (!reset && this.cursor) fields.cursor = this.cursor;
    if (this.allApps.checked) fields.all = true;
    this.el.classList.add("cw-loading");
    const reply = await this.store.request(THREADS, fields);
    if (ticket !== this.query) return;
    this.el.classList.remove("cw-loading");
    if (!reply.ok) {
      if (reply.error?.code === "unavailable") {
        this.close();
        this.onUnavailable();
        return;
      }
      this.showError(reply.error?.message || this.labels.error);
      return;
    }
    this.showError("");
    const result = reply.result as { data?: ThreadSummary[]; pageInfo?: { hasNextPage?: boolean; endCursor?: string | null } };
    const data = Array.isArray(result?.data) ? result.data.filter((t) => t && typeof t.id === "string") : [];
    this.threads = reset ? data : [...this.threads, ...data.filter((t) => !this.threads.some((o) => o.id === t.id))];
    this.cursor = result?.pageInfo?.endCursor ?? null;
    this.more.hidden = !result?.pageInfo?.hasNextPage || !this.cursor;
    this.draw();
  }

  private draw(): void {
    const labels = this.labels;
    const now = new Date();
    const groups = new Map<string, ThreadSummary[]>();
    for (const t of this.threads) {
      const g = group(t.updatedAt || t.createdAt, now, labels);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)?.push(t);
    }
    const parts: HTMLElement[] = [];
    for (const name of [labels.today, labels.yesterday, labels.previous7, labels.older]) {
      const items = groups.get(name);
      if (!items?.length) continue;
      const section = el("div", "cw-thread-group");
      section.append(el("div", "cw-thread-group-title", name), ...items.map((t) => this.row(t)));
      parts.push(section);
    }
    if (!parts.length) parts.push(el("div", "cw-threads-empty", labels.noThreads));
    this.list.replaceChildren(...parts);
  }

  private row(t: ThreadSummary): HTMLElement {
    const labels = this.labels;
    const row = el("div", "cw-thread");
    row.dataset.threadId = t.id;
    row.dataset.shared = String(!!t.shared);
    const line = el("div", "cw-thread-line");
    const name = button("cw-thread-name", (typeof t.name === "string" && t.name.trim()) || labels.untitled);
    name.title = labels.resume;
    name.addEventListener("click", () => void this.resume(t));
    const rename = button("cw-thread-rename", "✎", labels.rename);
    const share = button("cw-thread-share", "⇪", t.shared ? labels.unshare : labels.share);
    share.setAttribute("aria-pressed", String(!!t.shared));
    const del = button("cw-thread-delete", "✕", labels.delete);
    line.append(name, rename, share, del);
    const extra = el("div", "cw-thread-extra");
    extra.hidden = true;
    row.append(line, extra);
    if (this.allApps.checked && typeof t.app === "string" && t.app) {
      const app = el("div", "cw-thread-app", appLabel(t.app));
      app.title = t.app;
      line.after(app);
    }

    rename.addEventListener("click", () => {
      const input = el("input", "cw-thread-rename-input");
      input.value = typeof t.name === "string" ? t.name : "";
      input.setAttribute("aria-label", labels.rename);
      const save = async () => {
        const value = input.value.trim();
        if (!value) return;
        const reply = await this.store.request(RENAME, { thread: t.id, name: value });
        if (reply.ok) {
          t.name = value;
          this.draw();
        } else this.showError(reply.error?.message || labels.error);
      };
      input.addEventListener("keydown", (e) => {
        e.stopPropagation();
        if (e.key === "Enter") void save();
        else if (e.key === "Escape") this.draw();
      });
      const ok = button("cw-thread-rename-save", labels.save);
      ok.addEventListener("click", () => void save());
      extra.replaceChildren(input, ok);
      extra.hidden = false;
      input.focus();
      input.select();
    });

    del.addEventListener("click", () => {
      const yes = button("cw-thread-delete-confirm", labels.delete);
      const no = button("cw-thread-delete-cancel", labels.cancel);
      yes.addEventListener("click", async () => {
        const reply = await this.store.request(DELETE_THREAD, { thread: t.id });
        if (reply.ok) {
          this.threads = this.threads.filter((o) => o.id !== t.id);
          this.draw();
        } else this.showError(reply.error?.message || labels.error);
      });
      no.addEventListener("click", () => {
        extra.hidden = true;
        extra.replaceChildren();
      });
      extra.replaceChildren(el("span", "cw-thread-confirm-text", labels.deleteConfirm), yes, no);
      extra.hidden = false;
    });

    share.addEventListener("click", async () => {
      const shared = !t.shared;
      share.disabled = true;
      const reply = await this.store.request(SHARE, { thread: t.id, shared });
      share.disabled = false;
      if (!reply.ok) {
        this.showError(reply.error?.message || labels.error);
        return;
      }
      // A list loaded while the kernel answered (asked for before the click) was drawn from
      // the thread as it was: the change goes to the thread's row as it is now.
      for (const o of this.threads) if (o.id === t.id) o.shared = shared;
      t.shared = shared;
      const shown = this.shownRow(row, t.id);
      if (!shown) return;
      const { share: toggle, extra } = shown;
      shown.row.dataset.shared = String(shared);
      toggle.setAttribute("aria-pressed", String(shared));
      toggle.title = shared ? labels.unshare : labels.share;
      toggle.setAttribute("aria-label", toggle.title);
      const link = shared ? await shareLink(t.id) : null;
      if (!link) {
        extra.hidden = true;
        extra.replaceChildren();
        return;
      }
      const field = el("input", "cw-share-link");
      field.readOnly = true;
      field.value = link;
      field.setAttribute("aria-label", labels.shareLink);
      const copy = button("cw-share-copy", labels.copy);
      copy.addEventListener("click", () => {
        field.select();
        void navigator.clipboard?.writeText(link).then(
          () => {
            copy.textContent = labels.copied;
            setTimeout(() => (copy.textContent = labels.copy), 1200);
          },
          () => undefined,
        );
      });
      extra.replaceChildren(field, copy);
      extra.hidden = false;
    });
    return row;
  }

  /** `row` if it is still in the list, else the row drawn for the same thread since. */
  private shownRow(row: HTMLElement, id: string): { row: HTMLElement; share: HTMLElement; extra: HTMLElement } | null {
    const now = row.isConnected ? row : Array.from(this.list.querySelectorAll<HTMLElement>(".cw-thread")).find((r) => r.dataset.threadId === id);
    const share = now?.querySelector<HTMLElement>(".cw-thread-share");
    const extra = now?.querySelector<HTMLElement>(".cw-thread-extra");
    return now && share && extra ? { row: now, share, extra } : null;
  }

  private async resume(t: ThreadSummary): Promise<void> {
    const reply = await this.store.request(RESUME, { thread: t.id });
    if (!reply.ok) {
      this.showError(reply.error?.message || this.labels.error);
      return;
    }
    this.close();
    this.onResumed();
  }
}
