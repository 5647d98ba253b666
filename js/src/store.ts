// One store per widget model: the steps (from widget state), the text of streaming steps
// (from `stream` custom messages) and the requests in flight. Views subscribe to it and
// coalesce what changed per animation frame; two views of one model share one store.
import type { AnyModel } from "@anywidget/types";
import {
  type AskState,
  type ChatConfig,
  type ChatProfile,
  type Command,
  type ElementDict,
  type McpServerInfo,
  type ElementSidebarState,
  type EventMessage,
  type ModeDict,
  type StarterCategory,
  type SettingsState,
  type Starter,
  elementDataKey,
  libraryKey,
  elementKey,
  type KernelMessage,
  type ReplyMessage,
  type RequestKind,
  type Requests,
  type StepDict,
  type StreamDelta,
  type StreamMessage,
  MESSAGE_TYPES,
  REPLY,
  REQUEST_TIMEOUT_MS,
  RESYNC,
  LIBRARY,
  STREAM,
  TOAST,
  isStepKey,
  oversize,
  stepKey,
} from "./protocol";
import { watchKernel } from "./connection";
import { ImageHosts } from "./images";
import { type LibraryName, addLibrarySource } from "./lazy";
import { type KeyValueStorage, Outbox, pageStorage } from "./outbox";

/** How long a library shipped by the kernel may take to arrive after its request. */
const LIBRARY_WAIT_MS = 20_000;

/** What changed in one notification: step ids, whether the tree changed, whether traits changed. */
export interface StoreChange {
  steps: ReadonlySet<string>;
  structure: boolean;
  meta: boolean;
}

/** Which steps are shown where: top-level ids in slot order, and children of shown steps. */
export interface Layout {
  top: string[];
  children: Map<string, string[]>;
}

/** Traits whose names could look like element keys (`e<id>`, `b<id>`). */
const TRAITS = new Set(["embed", "body"]);

export type Listener = (change: StoreChange) => void;

/** Characters of a growing text joined into one run (see `append`). */
const PIECE_RUN = 8_192;

/**
 * The text of a streaming step, kept as runs of the pieces that arrived. Appending each
 * piece to one string would make the next read of it copy the whole (V8 flattens a
 * concatenation when it is searched or sliced): a million-token message would cost
 * megabytes per frame. A view
 * reads the end it has not rendered yet with `from`; `toString` joins it (and keeps that).
 * One object per stream: a replaced text is a new object.
 */
export class GrowingText {
  /** Runs of about PIECE_RUN characters, each one flat string, and where each starts. */
  private parts: string[];
  private starts: number[];
  /** The pieces after the last run, joined into one when read. */
  private open: string[] = [];
  private openSize = 0;
  private size: number;

  constructor(text = "") {
    this.parts = text ? [text] : [];
    this.starts = text ? [0] : [];
    this.size = text.length;
  }

  get length(): number {
    return this.size;
  }

  append(piece: string): void {
    if (!piece) return;
    // Small pieces (a token each) are gathered into runs: a read of any end spans a few
    // runs, never thousands of tokens (nor a concatenation V8 would walk on every read).
    this.open.push(piece);
    this.openSize += piece.length;
    this.size += piece.length;
    if (this.openSize >= PIECE_RUN) this.closeRun();
  }

  /** The text from `offset`, `most` characters at most, joining only the runs it spans. */
  from(offset: number, most = Infinity): string {
    const end = Math.min(this.size, offset + most);
    if (offset >= end) return "";
    const runsEnd = this.size - this.openSize;
    const spans: string[] = [];
    let start = runsEnd; // where the first span starts in the whole
    if (offset < runsEnd) {
      const i = this.runAt(offset);
      const j = this.runAt(Math.min(end, runsEnd) - 1) + 1;
      start = this.starts[i];
      for (let k = i; k < j; k++) spans.push(this.parts[k]);
    }
    if (end > runsEnd) spans.push(this.openText());
    const span = spans.length === 1 ? spans[0] : spans.join("");
    return span.slice(offset - start, end - start);
  }

  toString(): string {
    if (this.openSize) this.closeRun();
    if (this.parts.length > 1) {
      this.parts = [this.parts.join("")];
      this.starts = [0];
    }
    return this.parts[0] ?? "";
  }

  private closeRun(): void {
    this.parts.push(this.openText());
    this.starts.push(this.size - this.openSize);
    this.open = [];
    this.openSize = 0;
  }

  private openText(): string {
    if (this.open.length > 1) this.open = [this.open.join("")];
    return this.open[0] ?? "";
  }

  /** The index of the run holding character `offset` (a closed run's). */
  private runAt(offset: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** What a view is given to render: final text, or a stream's growing text. */
export type StepText = string | GrowingText;

export const DEFAULT_CONFIG: ChatConfig = {
  cot: "full",
  placeholder: "",
  disable_while_running: true,
  assistant_name: "Assistant",
  user_name: "You",
  language: "",
};

export function isMessage(step: StepDict): boolean {
  return MESSAGE_TYPES.has(step.type);
}

function randomId(): string {
  // crypto.randomUUID is missing in insecure contexts (Jupyter over plain http on a host).
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A custom message's binary buffers (audio) as DataViews, whatever form the comm gives them in. */
function dataViews(buffers: unknown): DataView[] {
  if (!Array.isArray(buffers)) return [];
  const out: DataView[] = [];
  for (const b of buffers) {
    if (b instanceof DataView) out.push(b);
    else if (b instanceof ArrayBuffer) out.push(new DataView(b));
    else if (ArrayBuffer.isView(b)) out.push(new DataView(b.buffer, b.byteOffset, b.byteLength));
  }
  return out;
}

/** What every request answers once the kernel is gone. */
const DISCONNECTED = { code: "disconnected", message: "The kernel restarted or stopped: this chat is no longer connected." };

function isStepDict(value: unknown): value is StepDict {
  return typeof value === "object" && value !== null && typeof (value as StepDict).id === "string";
}

interface Pending {
  resolve: (reply: ReplyMessage) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class ChatStore {
  readonly instance: string;
  private readonly model: AnyModel;
  private readonly steps = new Map<string, StepDict>();
  private readonly slotIds: (string | null)[] = [];
  /** The model value last applied per slot, to spot changes when a scan is needed. */
  private readonly seen: unknown[] = [];
  /** The widget model's own attributes, once a change event has shown them (the model
   * anywidget hands out is a wrapper), and the step keys applied since they were trimmed. */
  private modelAttributes: Record<string, unknown> | null = null;
  private readonly applied = new Set<string>();
  private readonly texts = new Map<string, GrowingText>();
  private readonly libraries = new Map<string, [unknown, string]>();
  private readonly held = new Map<string, StreamDelta[]>();
  private readonly resyncing = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<Listener>();
  private readonly eventListeners = new Map<string, Set<(msg: EventMessage, buffers: DataView[]) => void>>();
  /** Hosts whose remote images this chat shows, besides the app's (the user's clicks, this page). */
  readonly imageHosts = new ImageHosts();
  /** The messages sent and not yet taken by the kernel, and the composer's draft. */
  readonly outbox: Outbox;
  /** The composer's mode choices, sent with each message: mode id → option id. */
  chosenModes: Record<string, string> = {};
  private askFor: string | null = null;
  private readonly libraryWaiters = new Map<string, (() => void)[]>();
  private readonly removeSource: (() => void) | null;
  private readonly stopWatching: (() => void) | null;
  private lost = false;
  private layoutCache: Layout | null = null;
  /** Slots the cached layout has placed, and parents it met that were not known yet. */
  private layoutSlots = 0;
  private readonly layoutMissing = new Set<string>();
  private configCache: ChatConfig | null = null;
  private head = 0;
  private disposed = false;

  // What changed since the last notification.
  private dirtySteps = new Set<string>();
  private dirtyStructure = false;
  private dirtyMeta = false;

  // Read-only counters for tests and benchmarks.
  private streamCount = 0;
  private seq = -1;
  private resyncCount = 0;

  private readonly onChange = (backbone?: {
    changedAttributes?: () => Record<string, unknown> | false;
    attributes?: unknown;
  }) => {
    if (backbone?.attributes && typeof backbone.attributes === "object") {
      this.modelAttributes = backbone.attributes as Record<string, unknown>;
    }
    const attrs = typeof backbone?.changedAttributes === "function" ? backbone.changedAttributes() : null;
    if (attrs && typeof attrs === "object") {
      for (const key of Object.keys(attrs)) {
      this.applyKey(key);
      if (key.startsWith("lib_")) this.libraryArrived(key.slice(4));
    }
    } else {
      this.scan();
    }
    this.trimModel();
    this.notify();
  };

  /**
   * Take the applied steps out of the widget model: the store holds them from here on, and
   * every `set` of a Backbone model copies all its attributes first (one key per step: about
   * 3 ms per state message at 10,000 steps). The store lives as long as the model, so no
   * later view needs them there; a reloaded page gets them in its new model's snapshot.
   */
  private trimModel(): void {
    const attributes = this.modelAttributes;
    if (!attributes) return;
    for (const key of this.applied) delete attributes[key];
    this.applied.clear();
  }

  private readonly onCustom = (msg: KernelMessage, buffers?: unknown) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === REPLY) this.settle(msg as ReplyMessage);
    else if (msg.kind === STREAM) this.applyStream(msg as StreamMessage);
    else this.emit(msg as EventMessage, dataViews(buffers));
    this.notify();
  };

  private emit(msg: EventMessage, buffers: DataView[] = []): void {
    for (const listen of this.eventListeners.get(msg.kind) ?? []) listen(msg, buffers);
  }

  /** `live`: a kernel is behind the model (it can ship libraries); false for a stored thread.
   * `storage` keeps the outbox and the draft over a page reload (sessionStorage when live). */
  constructor(model: AnyModel, instance: string, live = true, storage: KeyValueStorage | null = live ? pageStorage() : null) {
    this.model = model;
    this.instance = instance;
    this.removeSource = live ? addLibrarySource((name) => this.shipLibrary(name)) : null;
    model.on("change", this.onChange);
    model.on("msg:custom", this.onCustom);
    this.stopWatching = live ? watchKernel(model, () => this.kernelLost()) : null;
    this.scan();
    this.dirtySteps.clear();
    this.dirtyStructure = false;
    this.dirtyMeta = false;
    this.outbox = new Outbox(this, storage);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.outbox.dispose();
    this.model.off("change", this.onChange);
    this.model.off("msg:custom", this.onCustom);
    this.removeSource?.();
    this.stopWatching?.();
    for (const waiters of this.libraryWaiters.values()) for (const w of waiters) w();
    this.libraryWaiters.clear();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: REPLY, id, ok: false, error: { code: "cancelled", message: "the view was closed" } });
    }
    this.pending.clear();
    this.listeners.clear();
  }

  // ---- reading -------------------------------------------------------------------------

  get streamMessages(): number {
    return this.streamCount;
  }
  get lastSeq(): number {
    return this.seq;
  }
  get resyncs(): number {
    return this.resyncCount;
  }

  step(id: string): StepDict | undefined {
    return this.steps.get(id);
  }

  /** The current text of a step: streamed so far, or its final output. */
  textOf(id: string): string {
    const streamed = this.texts.get(id);
    if (streamed !== undefined) return streamed.toString();
    return this.steps.get(id)?.output ?? "";
  }

  /** What a view renders: the growing text of a step that streams, else its final text. */
  renderText(id: string): StepText {
    return this.texts.get(id) ?? this.steps.get(id)?.output ?? "";
  }

  get title(): string {
    const t = this.model.get("title");
    return typeof t === "string" ? t : "";
  }

  get running(): boolean {
    return !this.lost && this.model.get("running") === true;
  }

  /** Whether the kernel behind this chat restarted or died: it will never answer again. */
  get disconnected(): boolean {
    return this.lost;
  }

  /** The kernel's status as the page's widget manager sees it ("busy", "idle", "dead"...),
   * or null where the page gives no kernel (Voila and JupyterLab do). */
  get kernelStatus(): string | null {
    const manager = (this.model as { widget_manager?: { kernel?: { status?: unknown } | null } }).widget_manager;
    const status = manager?.kernel?.status;
    return typeof status === "string" ? status : null;
  }

  private trait<T>(name: string, ok: (v: unknown) => boolean, fallback: T): T {
    const v = this.model.get(name);
    return ok(v) ? (v as T) : fallback;
  }

  /** The prompt waiting for an answer, or null. */
  get ask(): AskState | null {
    const a = this.model.get("ask") as AskState | undefined;
    return a && typeof a === "object" && typeof a.id === "string" && typeof a.kind === "string" ? a : null;
  }

  get settings(): SettingsState {
    return this.trait<SettingsState>("settings", (v) => !!v && typeof v === "object", {});
  }

  get starters(): Starter[] {
    return this.trait<Starter[]>("starters", Array.isArray, []).filter((s) => s && typeof s.message === "string");
  }

  get commands(): Command[] {
    return this.trait<Command[]>("commands", Array.isArray, []).filter((c) => c && typeof c.id === "string");
  }

  get profiles(): ChatProfile[] {
    return this.trait<ChatProfile[]>("profiles", Array.isArray, []).filter((p) => p && typeof p.name === "string");
  }

  get profile(): string {
    return this.trait<string>("profile", (v) => typeof v === "string", "");
  }

  /** The chat's connected MCP servers (`connected_mcp`). */
  get connectedMcp(): McpServerInfo[] {
    return this.trait<McpServerInfo[]>("connected_mcp", Array.isArray, []).filter((s) => s && typeof s.name === "string");
  }

  get modes(): ModeDict[] {
    return this.trait<ModeDict[]>("modes", Array.isArray, []).filter((m) => m && typeof m.id === "string" && Array.isArray(m.options));
  }

  get starterCategories(): StarterCategory[] {
    return this.trait<StarterCategory[]>("starter_categories", Array.isArray, []).filter((c) => c && Array.isArray(c.starters));
  }

  get elementSidebar(): ElementSidebarState {
    return this.trait<ElementSidebarState>("element_sidebar", (v) => !!v && typeof v === "object", {});
  }

  /** Elements of the chat itself (task lists, the sidebar's), not of a message. */
  get chatElements(): string[] {
    return this.trait<string[]>("chat_elements", Array.isArray, []).filter((k) => typeof k === "string");
  }

  /** Keys the user must provide (the app's `user_env_keys` option). */
  get userEnvKeys(): string[] {
    const keys = this.config.user_env_keys;
    return Array.isArray(keys) ? keys.filter((k) => typeof k === "string") : [];
  }

  /** The project's readme, shown on an empty chat (the app's `readme` option). */
  get readme(): string {
    return typeof this.config.readme === "string" ? this.config.readme : "";
  }

  /** Listen to one kind of event message from the kernel; returns the way to stop. */
  onEvent(kind: string, listen: (msg: EventMessage, buffers: DataView[]) => void): () => void {
    let set = this.eventListeners.get(kind);
    if (!set) this.eventListeners.set(kind, (set = new Set()));
    set.add(listen);
    return () => set.delete(listen);
  }

  get storageError(): string {
    return this.trait<string>("storage_error", (v) => typeof v === "string", "");
  }

  /** An element's description (`e<id>`), if known. */
  element(id: string): ElementDict | undefined {
    const e = this.model.get(elementKey(id)) as ElementDict | null | undefined;
    return e && typeof e === "object" && typeof e.type === "string" ? e : undefined;
  }

  /** An element's bytes (`b<id>`: `{data: DataView}`), if sent. */
  elementData(id: string): DataView | undefined {
    const b = this.model.get(elementDataKey(id)) as { data?: unknown } | null | undefined;
    const d = b && typeof b === "object" ? b.data : undefined;
    if (d instanceof DataView) return d;
    if (d instanceof ArrayBuffer) return new DataView(d);
    if (ArrayBuffer.isView(d)) return new DataView(d.buffer, d.byteOffset, d.byteLength);
    return undefined;
  }

  /** A front-end library the kernel ships once (`lib_<name>`: `{data}`), as text; cached. */
  library(name: string): string | null {
    const entry = this.model.get(libraryKey(name)) as { data?: unknown } | null | undefined;
    const d = entry && typeof entry === "object" ? entry.data : undefined;
    if (!d || typeof d !== "object") return null;
    const cached = this.libraries.get(name);
    if (cached && cached[0] === d) return cached[1];
    const view = d instanceof DataView ? d : ArrayBuffer.isView(d) ? d : d instanceof ArrayBuffer ? new DataView(d) : null;
    if (!view) return null;
    const text = new TextDecoder().decode(view);
    this.libraries.set(name, [d, text]);
    return text;
  }

  /** Ask the kernel for a front-end library and wait for its `lib_<name>` state; null if none. */
  async shipLibrary(name: LibraryName): Promise<string | null> {
    const have = this.library(name);
    if (have !== null || this.disposed) return have;
    const arrived = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, LIBRARY_WAIT_MS);
      const list = this.libraryWaiters.get(name) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.libraryWaiters.set(name, list);
    });
    const reply = await this.request(LIBRARY, { name });
    if (!reply.ok) {
      this.libraryArrived(name);
      return null;
    }
    if (this.library(name) === null) await arrived;
    return this.library(name);
  }

  private libraryArrived(name: string): void {
    const waiters = this.libraryWaiters.get(name);
    this.libraryWaiters.delete(name);
    for (const w of waiters ?? []) w();
  }

  /** Whether no message is shown (starters are offered then). */
  get empty(): boolean {
    for (const id of this.slotIds) if (id !== null && id !== undefined && this.steps.has(id)) return false;
    return true;
  }

  /** Every step id, in slot order. */
  stepIds(): string[] {
    return this.slotIds.filter((id): id is string => typeof id === "string" && this.steps.has(id));
  }

  get protocol(): string | undefined {
    const p = this.model.get("protocol");
    return typeof p === "string" ? p : undefined;
  }

  get config(): ChatConfig {
    if (!this.configCache) {
      const raw = this.model.get("config");
      this.configCache = { ...DEFAULT_CONFIG, ...(raw && typeof raw === "object" ? (raw as Partial<ChatConfig>) : {}) };
    }
    return this.configCache;
  }

  /** Whether a step is shown at all under `config.cot` (messages always are). */
  shown(step: StepDict): boolean {
    if (isMessage(step)) return true;
    const cot = this.config.cot;
    if (cot === "hidden") return false;
    if (cot === "tool_call") return step.type === "tool";
    return true;
  }

  /**
   * The layout, kept between changes: new steps in new slots (a turn) extend it, so a turn
   * costs its own steps whatever the history's length; anything else makes it anew.
   */
  layout(): Layout {
    let cache = this.layoutCache;
    if (!cache) {
      cache = this.layoutCache = { top: [], children: new Map() };
      this.layoutSlots = 0;
      this.layoutMissing.clear();
    }
    const { top, children } = cache;
    const slots = this.slotIds;
    for (let slot = this.layoutSlots; slot < slots.length; slot++) {
      const id = slots[slot];
      if (id === null || id === undefined) continue;
      const step = this.steps.get(id);
      if (!step || !this.shown(step)) continue;
      const container = isMessage(step) ? undefined : this.container(step);
      if (container === undefined) top.push(id);
      else {
        let list = children.get(container);
        if (!list) children.set(container, (list = []));
        list.push(id);
      }
    }
    this.layoutSlots = slots.length;
    return cache;
  }

  /** The nearest shown non-message ancestor of a step, if any. */
  private container(step: StepDict): string | undefined {
    let parentId = step.parentId;
    for (let depth = 0; parentId && depth < 256; depth++) {
      const parent = this.steps.get(parentId);
      if (!parent) {
        // Should this parent arrive later, the steps under it move: the layout is made anew.
        this.layoutMissing.add(parentId);
        return undefined;
      }
      if (!isMessage(parent) && this.shown(parent)) return parent.id;
      parentId = parent.parentId;
    }
    return undefined;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- requests ------------------------------------------------------------------------

  /** Send a request; the promise always resolves, with the reply or a timeout/cancel error. */
  request<K extends RequestKind>(
    kind: K,
    fields: Requests[K],
    buffers?: ArrayBuffer[],
    timeoutMs: number = REQUEST_TIMEOUT_MS,
  ): Promise<ReplyMessage> {
    const id = randomId();
    return new Promise((resolve) => {
      if (this.disposed) {
        resolve({ kind: REPLY, id, ok: false, error: { code: "cancelled", message: "the view was closed" } });
        return;
      }
      if (this.lost) {
        resolve({ kind: REPLY, id, ok: false, error: DISCONNECTED });
        return;
      }
      let tooLarge = "";
      try {
        tooLarge = oversize(fields, buffers);
      } catch (err) {
        tooLarge = `The request cannot be sent: ${String(err)}`;
      }
      if (tooLarge) {
        resolve({ kind: REPLY, id, ok: false, error: { code: "too_large", message: tooLarge } });
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ kind: REPLY, id, ok: false, error: { code: "timeout", message: "no reply from the kernel" } });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      try {
        if (buffers) this.model.send({ ...fields, kind, id }, undefined, buffers);
        else this.model.send({ ...fields, kind, id });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve({ kind: REPLY, id, ok: false, error: { code: "send_failed", message: String(err) } });
      }
    });
  }

  private settle(reply: ReplyMessage): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    // What the kernel changed in the request (text it could not store): shown to this view.
    if (reply.ok && typeof reply.notice === "string" && reply.notice) {
      this.emit({ kind: TOAST, message: reply.notice, type: "warning" });
    }
    p.resolve(reply);
  }

  /**
   * The kernel restarted or died. Its replies and stream deltas will never come: unfinished
   * steps end here, marked interrupted with the text they had, and waiting requests settle.
   */
  private kernelLost(): void {
    if (this.lost || this.disposed) return;
    this.lost = true;
    for (const [id, step] of this.steps) {
      if (step.streaming !== true && !(step.start && !step.end)) continue;
      this.steps.set(id, { ...step, output: this.textOf(id), streaming: false, interrupted: true });
      this.texts.delete(id);
      this.held.delete(id);
      this.dirtySteps.add(id);
    }
    this.resyncing.clear();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: REPLY, id, ok: false, error: DISCONNECTED });
    }
    this.pending.clear();
    this.dirtyMeta = true;
    this.notify();
  }

  // ---- widget state ----------------------------------------------------------------------

  private scan(): void {
    this.applyMeta();
    const head = Number(this.model.get("head")) || 0;
    this.head = head;
    for (let slot = 0; slot < head; slot++) {
      const value = this.model.get(stepKey(slot));
      if (value !== undefined && value !== this.seen[slot]) this.applySlot(slot, value);
    }
  }

  private applyMeta(): void {
    this.askFor = this.ask?.forId ?? null;
    this.configCache = null;
    this.layoutCache = null;
    this.dirtyStructure = true;
    this.dirtyMeta = true;
  }

  private applyKey(key: string): void {
    if (isStepKey(key)) {
      const slot = Number(key.slice(1));
      this.applySlot(slot, this.model.get(key));
    } else if (key === "head") {
      const head = Number(this.model.get("head")) || 0;
      for (let slot = this.head; slot < head; slot++) {
        const value = this.model.get(stepKey(slot));
        if (value !== undefined && value !== this.seen[slot]) this.applySlot(slot, value);
      }
      this.head = head;
    } else if (key === "config") {
      this.applyMeta();
    } else if (key === "ask") {
      // The prompt's message shows its buttons, or stops showing them.
      if (this.askFor) this.dirtySteps.add(this.askFor);
      this.askFor = this.ask?.forId ?? null;
      if (this.askFor) this.dirtySteps.add(this.askFor);
      this.dirtyMeta = true;
    } else if (/^[eb]./.test(key) && !TRAITS.has(key)) {
      // An element's description or bytes: its step re-renders.
      const e = this.element(key.slice(1));
      if (e?.forId) this.dirtySteps.add(e.forId);
      else for (const [id, step] of this.steps) if (step.elements?.includes(key.slice(1))) this.dirtySteps.add(id);
      // The chat's own elements (a task list) are drawn with the page: it redraws them.
      if (this.chatElements.includes(key.slice(1))) this.dirtyMeta = true;
    } else {
      this.dirtyMeta = true;
    }
  }

  private applySlot(slot: number, value: unknown): void {
    this.seen[slot] = value;
    this.applied.add(stepKey(slot)); // a set: bounded by the slots where attributes never show
    const prevId = this.slotIds[slot] ?? null;
    if (!isStepDict(value)) {
      if (prevId !== null) this.removeStep(prevId);
      this.slotIds[slot] = null;
      return;
    }
    if (prevId !== null && prevId !== value.id) this.removeStep(prevId);
    this.slotIds[slot] = value.id;
    this.applyStep(value, slot);
  }

  private removeStep(id: string): void {
    this.steps.delete(id);
    this.texts.delete(id);
    this.held.delete(id);
    this.dirtySteps.add(id);
    this.structureChanged();
  }

  /** `added`: a new step in a slot past those laid out (the cached layout grows by it). */
  private structureChanged(added?: { slot: number; id: string }): void {
    const append = added && added.slot >= this.layoutSlots && !this.layoutMissing.has(added.id);
    if (!append) this.layoutCache = null;
    this.dirtyStructure = true;
  }

  private applyStep(step: StepDict, slot?: number): void {
    const old = this.steps.get(step.id);
    if (old && step.slot === undefined && old.slot !== undefined) step = { ...step, slot: old.slot };
    if (typeof step.output !== "string" && typeof step.outputLength === "number") step = this.withStreamedText(step);
    this.steps.set(step.id, step);
    if (!old) this.structureChanged(slot === undefined ? undefined : { slot, id: step.id });
    else if (old.parentId !== step.parentId || old.type !== step.type) this.structureChanged();
    const output = typeof step.output === "string" ? step.output : "";
    if (!step.streaming) {
      // The final state carries the full text.
      this.texts.delete(step.id);
      this.held.delete(step.id);
    } else {
      const current = this.texts.get(step.id);
      if (current === undefined || output.length >= current.length) this.texts.set(step.id, new GrowingText(output));
      const held = this.held.get(step.id);
      if (held && !this.resyncing.has(step.id)) {
        this.held.delete(step.id);
        for (const delta of held) this.applyDelta(delta);
      }
    }
    this.dirtySteps.add(step.id);
  }

  /**
   * A step state that leaves out the text the deltas brought: the text is what was streamed
   * when its length is the one the kernel says; else (a delta lost) what there is, until a
   * resync brings the whole. A step still streaming keeps its growing text as it is; a
   * finished one takes it, joined once, as its output.
   */
  private withStreamedText(step: StepDict): StepDict {
    const streamed = this.texts.get(step.id);
    const before = this.steps.get(step.id)?.output ?? "";
    if ((streamed?.length ?? before.length) !== step.outputLength || this.held.has(step.id)) this.resync(step.id);
    const { outputLength: _, ...rest } = step;
    const output = streamed === undefined ? before : step.streaming ? "" : streamed.toString();
    return { ...rest, output };
  }

  // ---- streaming -------------------------------------------------------------------------

  private applyStream(msg: StreamMessage): void {
    this.streamCount++;
    if (typeof msg.seq === "number") this.seq = msg.seq;
    if (!Array.isArray(msg.deltas)) return;
    for (const delta of msg.deltas) {
      if (delta && typeof delta.step === "string" && typeof delta.text === "string") this.applyDelta(delta);
    }
  }

  private hold(delta: StreamDelta): void {
    let list = this.held.get(delta.step);
    if (!list) this.held.set(delta.step, (list = []));
    list.push(delta);
  }

  private applyDelta(delta: StreamDelta): void {
    const id = delta.step;
    if (!this.steps.has(id) || this.resyncing.has(id)) {
      this.hold(delta);
      return;
    }
    let current = this.texts.get(id);
    if (!current) this.texts.set(id, (current = new GrowingText(this.steps.get(id)?.output ?? "")));
    if (delta.replace) {
      this.texts.set(id, new GrowingText(delta.text));
    } else if (delta.offset === current.length) {
      if (!delta.text) return;
      current.append(delta.text);
    } else if (delta.offset < current.length) {
      const end = delta.offset + delta.text.length;
      if (end <= current.length) return; // already covered
      current.append(delta.text.slice(current.length - delta.offset));
    } else {
      this.hold(delta);
      this.resync(id);
      return;
    }
    this.dirtySteps.add(id);
  }

  private resync(id: string): void {
    if (this.resyncing.has(id)) return;
    this.resyncing.add(id);
    this.resyncCount++;
    void this.request(RESYNC, { step: id }).then((reply) => {
      this.resyncing.delete(id);
      const result = reply.result as { step?: unknown } | undefined;
      if (reply.ok && isStepDict(result?.step)) {
        const fresh = result.step;
        // The reply is the authority on the text so far, even if shorter than held deltas imply.
        this.texts.delete(id);
        this.applyStep(fresh);
      } else {
        // Give up on the held deltas; the step's final state will carry the full text.
        this.held.delete(id);
      }
      this.notify();
    });
  }

  // ---- notification ------------------------------------------------------------------------

  private notify(): void {
    if (!this.dirtySteps.size && !this.dirtyStructure && !this.dirtyMeta) return;
    const change: StoreChange = { steps: this.dirtySteps, structure: this.dirtyStructure, meta: this.dirtyMeta };
    this.dirtySteps = new Set();
    this.dirtyStructure = false;
    this.dirtyMeta = false;
    for (const listener of this.listeners) listener(change);
  }
}
