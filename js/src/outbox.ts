// The outbox: what the user sent that the kernel has not taken yet, and the composer's draft.
//
// Why here, in the browser, and one per store: while a notebook cell runs the kernel handles
// no comm message at all, so only the page can hold a message and show it at once; a message
// waiting for the answer to end can be edited or cancelled without a round trip; and the
// store is shared by every view of the chat in the page (inline and side panel), so both
// show the same queue. Another browser tab has a queue of its own: the kernel refuses a
// message while it answers ("busy"), which puts that tab's message back in its queue.
//
// Every message carries a key of its own. The kernel remembers the keys it accepted and
// answers a second send of one with the first delivery, so a send may safely be repeated:
// after a timeout (a long cell), or after a page reload (the queue is kept in sessionStorage).
import { type ReplyMessage, type Requests, SEND, oversize } from "./protocol";
import type { ChatStore } from "./store";

/** How long a sent message may wait for its acknowledgement before the view says why. */
export const ACK_HINT_MS = 500;
/** A send unanswered this long is sent again under the same key (the kernel keeps one copy). */
export const RESEND_MS = 30_000;
/** After a "busy" refusal (another tab's message got in first), try again this soon. */
export const BUSY_RETRY_MS = 1_000;
/** How often the kernel's status is read while a message waits (for the view's hint). */
const STATUS_POLL_MS = 200;

/** The part of `Storage` the outbox uses (sessionStorage in a page, a map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The page's sessionStorage, or null where it cannot be used (sandboxed frame, tests). */
export function pageStorage(): KeyValueStorage | null {
  try {
    const s = globalThis.sessionStorage;
    const probe = "chatwidget:probe";
    s.setItem(probe, "1");
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

export type OutboxState = "queued" | "sending" | "failed";

/** What the composer hands over. */
export interface Draft {
  content: string;
  command?: string | null;
  modes?: Record<string, string>;
  /** Upload ids, or the uploads still running (settling to ids, or failing with the reason). */
  files?: string[] | Promise<string[]>;
  fileNames?: string[];
}

export interface OutboxItem {
  readonly key: string;
  readonly content: string;
  readonly command: string | null;
  readonly modes: Readonly<Record<string, string>>;
  readonly fileNames: readonly string[];
  /** queued: held until the answer ends; sending: sent, not acknowledged; failed: refused. */
  readonly state: OutboxState;
  /** Sending and not acknowledged within ACK_HINT_MS: the view explains why. */
  readonly slow: boolean;
  /** The kernel was seen busy while this message waited. Its status alone does not say so
   * for long: a kernel that takes comm messages on another thread reports itself idle after
   * each, while a cell still runs on the main one. */
  readonly busySeen: boolean;
  /** Why it was not sent (state "failed"): the kernel's message, or `files_lost`. */
  readonly error: { code: string; message: string } | null;
}

interface Entry {
  key: string;
  content: string;
  command: string | null;
  modes: Record<string, string>;
  fileNames: string[];
  state: OutboxState;
  slow: boolean;
  busySeen: boolean;
  error: { code: string; message: string } | null;
  /** Upload ids; null while `uploads` runs. */
  files: string[] | null;
  uploads: Promise<string[]> | null;
}

const QUEUE_PREFIX = "chatwidget:outbox:";
const DRAFT_PREFIX = "chatwidget:draft:";
/** Instances whose saved draft a composer of this page has taken (one composer gets it). */
const draftsTaken = new Set<string>();

function newKey(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The fields of a send request. */
function sendFields(
  key: string,
  content: string,
  command: string | null,
  modes: Record<string, string>,
  files: string[],
): Requests["send"] {
  const fields: Requests["send"] = { content, key };
  if (files.length) fields.files = files;
  if (command) fields.command = command;
  if (Object.keys(modes).length) fields.modes = modes;
  return fields;
}

export type OutboxListener = () => void;

export class Outbox {
  private entries: Entry[] = [];
  private inFlight: Entry | null = null;
  private readonly listeners = new Set<OutboxListener>();
  private readonly unsubscribe: () => void;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private statusTimer: ReturnType<typeof setInterval> | null = null;
  private lastStatus: string | null = null;
  private disposed = false;

  constructor(
    private readonly store: ChatStore,
    private readonly storage: KeyValueStorage | null,
  ) {
    this.restore();
    // The running flag (and the config) arrive as trait changes: that is when a held
    // message may go.
    this.unsubscribe = store.subscribe((change) => {
      if (change.meta) this.pump();
    });
    this.pump();
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.listeners.clear();
  }

  // ---- reading ---------------------------------------------------------------------------

  get items(): readonly OutboxItem[] {
    return this.entries;
  }

  /** The kernel's status as the page's widget manager knows it ("busy", "idle", ...), or null. */
  get kernelStatus(): string | null {
    return this.store.kernelStatus;
  }

  subscribe(listener: OutboxListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- the user's actions ------------------------------------------------------------------

  /** Why this message could never be sent ("" when it can): the composer keeps it then. */
  refusal(draft: Draft): string {
    const fields = sendFields(newKey(), draft.content, draft.command ?? null, draft.modes ?? {}, []);
    try {
      return oversize(fields);
    } catch (err) {
      return `The message cannot be sent: ${String(err)}`;
    }
  }

  /** Take a message: it is shown at once and sent as soon as the kernel may take it. */
  add(draft: Draft): OutboxItem {
    const files = draft.files;
    const entry: Entry = {
      key: newKey(),
      content: draft.content,
      command: draft.command ?? null,
      modes: { ...(draft.modes ?? {}) },
      fileNames: [...(draft.fileNames ?? [])],
      state: "queued",
      slow: false,
      busySeen: false,
      error: null,
      files: Array.isArray(files) ? [...files] : files ? null : [],
      uploads: files && !Array.isArray(files) ? files : null,
    };
    entry.uploads?.then(
      (ids) => {
        entry.files = ids;
        entry.uploads = null;
        this.save();
      },
      () => undefined, // reported when the message is sent
    );
    this.entries.push(entry);
    this.changed();
    this.pump();
    return entry;
  }

  /** Remove a message that has not been sent (queued or failed); returns it, or null. */
  take(key: string): OutboxItem | null {
    const entry = this.entries.find((e) => e.key === key);
    if (!entry || entry.state === "sending") return null;
    this.entries = this.entries.filter((e) => e !== entry);
    this.changed();
    return entry;
  }

  /** Send a refused message again. */
  retry(key: string): void {
    const entry = this.entries.find((e) => e.key === key);
    if (!entry || !canRetry(entry)) return;
    entry.state = "queued";
    entry.error = null;
    this.changed();
    this.pump();
  }

  // ---- the draft ---------------------------------------------------------------------------

  /** Keep what is typed and not sent, so that a page reload does not lose it. */
  saveDraft(text: string): void {
    if (!this.storage || !this.store.instance) return;
    try {
      if (text) this.storage.setItem(DRAFT_PREFIX + this.store.instance, text);
      else this.storage.removeItem(DRAFT_PREFIX + this.store.instance);
    } catch {
      // a full or forbidden storage only costs the reload safety net
    }
  }

  /** The draft saved before a reload, for the first composer of the page that asks. */
  takeDraft(): string {
    if (!this.storage || !this.store.instance || draftsTaken.has(this.store.instance)) return "";
    draftsTaken.add(this.store.instance);
    try {
      return this.storage.getItem(DRAFT_PREFIX + this.store.instance) ?? "";
    } catch {
      return "";
    }
  }

  // ---- sending -------------------------------------------------------------------------------

  /** Whether a message must wait: an answer is running and the app takes one at a time. */
  private holding(): boolean {
    return this.store.running && this.store.config.disable_while_running !== false;
  }

  private pump(): void {
    if (this.disposed || this.inFlight || this.holding()) return;
    const next = this.entries.find((e) => e.state === "queued");
    if (next) void this.deliver(next);
  }

  private async deliver(entry: Entry): Promise<void> {
    this.inFlight = entry;
    entry.state = "sending";
    entry.slow = false;
    entry.busySeen = this.kernelStatus === "busy";
    this.changed();
    this.watchKernel();
    const hint = setTimeout(() => {
      entry.slow = true;
      this.changed();
    }, ACK_HINT_MS);
    let reply: ReplyMessage | null = null;
    let uploadError = "";
    try {
      const files = entry.uploads ? await entry.uploads : (entry.files ?? []);
      const fields = sendFields(entry.key, entry.content, entry.command, entry.modes, files);
      // Unanswered is not refused: a running cell holds the message; the same key again is safe.
      do reply = await this.store.request(SEND, fields, undefined, RESEND_MS);
      while (!this.disposed && reply.error?.code === "timeout");
    } catch (err) {
      uploadError = String((err as Error)?.message ?? err);
    }
    clearTimeout(hint);
    this.inFlight = null;
    if (this.disposed) return;
    entry.slow = false;
    if (reply?.ok) {
      // Delivered: the kernel's own copy of the message is in the conversation now.
      this.entries = this.entries.filter((e) => e !== entry);
    } else if (reply?.error?.code === "busy") {
      entry.state = "queued";
      this.retrySoon();
    } else if (reply?.error) {
      entry.state = "failed";
      entry.error = { code: reply.error.code, message: reply.error.message };
    } else {
      // An upload failed: the text can go back to the composer, the files are to attach again.
      entry.state = "failed";
      entry.error = { code: "upload", message: uploadError };
      entry.files = null;
      entry.uploads = null;
    }
    this.changed();
    this.pump();
  }

  private retrySoon(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, BUSY_RETRY_MS);
  }

  /** While a message waits unacknowledged, note a busy kernel and tell the views when the
   * kernel's status changes. */
  private watchKernel(): void {
    if (this.statusTimer) return;
    this.lastStatus = this.kernelStatus;
    this.statusTimer = setInterval(() => {
      const waiting = this.entries.filter((e) => e.state === "sending");
      const status = this.kernelStatus;
      let changed = status !== this.lastStatus;
      this.lastStatus = status;
      for (const entry of waiting) {
        if (status === "busy" && !entry.busySeen) changed = entry.busySeen = true;
      }
      if (changed) this.changed();
      if (!waiting.length && this.statusTimer) {
        clearInterval(this.statusTimer);
        this.statusTimer = null;
      }
    }, STATUS_POLL_MS);
  }

  // ---- persistence -------------------------------------------------------------------------

  private changed(): void {
    this.save();
    for (const listen of this.listeners) listen();
  }

  private save(): void {
    if (!this.storage || !this.store.instance) return;
    const key = QUEUE_PREFIX + this.store.instance;
    try {
      if (!this.entries.length) {
        this.storage.removeItem(key);
        return;
      }
      const saved = this.entries.map((e) => ({
        key: e.key,
        content: e.content,
        command: e.command,
        modes: e.modes,
        fileNames: e.fileNames,
        files: e.files, // null: the uploads had not finished
        failed: e.state === "failed" ? e.error : null,
      }));
      this.storage.setItem(key, JSON.stringify(saved));
    } catch {
      // as for the draft: only the reload safety net is lost
    }
  }

  /** The messages a reload interrupted: sent (again) under their own keys. */
  private restore(): void {
    if (!this.storage || !this.store.instance) return;
    let saved: unknown;
    try {
      saved = JSON.parse(this.storage.getItem(QUEUE_PREFIX + this.store.instance) ?? "[]");
    } catch {
      return;
    }
    if (!Array.isArray(saved)) return;
    for (const raw of saved) {
      if (!raw || typeof raw !== "object") continue;
      const r = raw as Record<string, unknown>;
      if (typeof r.key !== "string" || typeof r.content !== "string") continue;
      const files = r.files === null ? null : strings(r.files);
      const failed = r.failed && typeof r.failed === "object" ? (r.failed as Record<string, unknown>) : null;
      const lost = files === null;
      const entry: Entry = {
        key: r.key,
        content: r.content,
        command: typeof r.command === "string" ? r.command : null,
        modes: stringRecord(r.modes),
        fileNames: strings(r.fileNames),
        state: failed || lost ? "failed" : "queued",
        slow: false,
        busySeen: false,
        error: lost
          ? { code: "files_lost", message: "" }
          : failed
            ? { code: String(failed.code ?? ""), message: String(failed.message ?? "") }
            : null,
        files,
        uploads: null,
      };
      this.entries.push(entry);
    }
  }
}

/** Kernel states in which nothing will be taken until the kernel is (re)started. */
const DOWN = new Set(["dead", "unknown", "restarting", "autorestarting", "terminating", "disconnected"]);

/** What a view says about an item: one of its labels' names. */
export type ItemNotice = "queued" | "sending" | "kernelBusy" | "kernelDown" | "kernelSilent" | "notSent";

export function noticeOf(item: OutboxItem, kernelStatus: string | null): ItemNotice {
  if (item.state === "queued") return "queued";
  if (item.state === "failed") return "notSent";
  if (!item.slow) return "sending";
  if (kernelStatus !== null && DOWN.has(kernelStatus)) return "kernelDown";
  if (kernelStatus === "busy" || item.busySeen) return "kernelBusy";
  return "kernelSilent";
}

/** Whether sending the same item again can help (not when its attachments are gone). */
export function canRetry(item: OutboxItem): boolean {
  return item.state === "failed" && item.error?.code !== "upload" && item.error?.code !== "files_lost";
}
