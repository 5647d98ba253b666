// The wire protocol between the browser and the kernel; mirrors chatwidget/_protocol.py.
//
// Lasting state is widget state: traits `protocol`, `instance`, `title`, `config`,
// `running`, and one key per step, `s<slot>` (a StepDict plus `slot`, or null once
// removed), with `head` the number of slots handed out. Events are custom messages with a
// `kind`; each request from the browser has an `id` and is settled by exactly one `reply`.

export const PROTOCOL_VERSION = "2";

// Kinds sent by the kernel.
export const REPLY = "reply";
export const STREAM = "stream";

// Kinds sent by the browser (requests).
export const HELLO = "hello" as const;
export const SEND = "send" as const;
export const STOP = "stop" as const;
export const RESYNC = "resync" as const;
export const ASK_REPLY = "ask_reply" as const;
export const ACTION = "action" as const;
export const FEEDBACK = "feedback" as const;
export const SETTINGS = "settings" as const;
export const UPLOAD_START = "upload_start" as const;
export const UPLOAD_CHUNK = "upload_chunk" as const;
export const UPLOAD_END = "upload_end" as const;
export const UPLOAD_ABORT = "upload_abort" as const;
export const EDIT = "edit" as const;
export const PROFILE = "profile" as const;
export const NEW_CHAT = "new_chat" as const;
export const THREADS = "threads" as const;
export const RESUME = "resume" as const;
export const RENAME = "rename" as const;
export const DELETE_THREAD = "delete_thread" as const;
export const SHARE = "share" as const;
export const ELEMENT_PROPS = "element_props" as const;
export const MCP_CONNECT = "mcp_connect" as const;
export const MCP_DISCONNECT = "mcp_disconnect" as const;
/** The kernel ships a front-end library (lazy.ts) as `lib_<name>` state. */
export const LIBRARY = "library" as const;
export const ELEMENT_ACTION = "element_action" as const;
export const ELEMENT_DELETE = "element_delete" as const;
export const ELEMENT_MESSAGE = "element_message" as const;
export const USER_ENV = "user_env" as const;
export const SETTINGS_EDIT = "settings_edit" as const;
export const WINDOW_MESSAGE = "window_message" as const;
/** Voice: open a recording, send its PCM16 chunks as binary buffers, end it. */
export const AUDIO_START = "audio_start" as const;
export const AUDIO_CHUNK = "audio_chunk" as const;
export const AUDIO_END = "audio_end" as const;
/** A view (its own id) starts or ends drawing a long text: meanwhile the saved copy waits. */
export const DRAWING = "drawing" as const;
// Kernel → browser events besides replies and streams (a window message goes both ways).
export const TOAST = "toast";
/** Audio to play: `{track, mimeType, sampleRate}` and one binary buffer of PCM16 (kind `audio_chunk`). */
export const AUDIO_OUT = "audio_chunk";
/** Stop playing; the tracks received so far stay silent. */
export const AUDIO_INTERRUPT = "audio_interrupt";

/**
 * The fields of each request kind (the envelope's `kind` and `id` aside); mirrors
 * `REQUESTS` in chatwidget/_protocol.py, checked by tests/kernel/test_wire_types.py.
 */
export interface Requests {
  hello: { protocol?: string; identity?: string; copy_html_at_save?: boolean };
  /** `key`: the outbox's own id of the message; a second send of a key gets the first delivery back. */
  send: { content: string; files?: string[]; command?: string | null; modes?: Record<string, string>; key?: string };
  stop: Record<string, never>;
  resync: { step: string };
  ask_reply: { ask: string; output?: string; action?: string; files?: string[]; submitted?: boolean; data?: unknown };
  action: { action: string };
  feedback: { step: string; value: 0 | 1 | null; comment?: string | null };
  settings: { values: Record<string, unknown> };
  upload_start: { name: string; mime: string; size: number; for?: string };
  upload_chunk: { upload: string; offset: number };
  upload_end: { upload: string };
  upload_abort: { upload: string };
  edit: { step: string; content: string };
  profile: { name: string };
  new_chat: Record<string, never>;
  threads: { search?: string | null; cursor?: string | null; all?: boolean | null };
  resume: { thread: string };
  rename: { thread: string; name: string };
  delete_thread: { thread: string };
  share: { thread: string; shared: boolean };
  element_props: { element: string; props: Record<string, unknown> };
  /** The connect dialog: a command line for stdio, a URL for the HTTP transports -> {name, tools}. */
  mcp_connect: { name: string; transport: string; target: string };
  /** -> {disconnected} */
  mcp_disconnect: { name: string };
  library: { name: "math" | "highlight" | "voice" };
  element_action: { element: string; name: string; payload?: Record<string, unknown> };
  element_delete: { element: string };
  element_message: { element: string; content: string; command?: string | null };
  user_env: { values: Record<string, unknown> };
  settings_edit: { values: Record<string, unknown> };
  window_message: { data: unknown };
  /** -> {recording}; refused when the app's on_audio_start says no. */
  audio_start: { sampleRate: number; mimeType: string };
  /** One binary buffer of PCM16 samples -> {received} (bytes so far). */
  audio_chunk: { recording: string; mimeType: string; elapsedTime: number; isStart?: boolean };
  /** -> {chunks, seconds} once the chunks are handled and on_audio_end started. */
  audio_end: { recording: string };
  /** -> {waits}: whether the kernel's saved-notebook copy waits for the view. */
  drawing: { view: string; busy: boolean };
}

export type RequestKind = keyof Requests;

/** How long a request may wait for its reply before it settles as a timeout. */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The most one request may carry (JSON and buffers). The Jupyter server's websocket closes on
 * a message over 10 MiB (tornado's `websocket_max_message_size`), and the request is lost
 * with it: anything bigger is refused before it is sent (uploads go in smaller chunks).
 */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** Why a request cannot go out as is ("" when it can): too big for the server's websocket. */
export function oversize(fields: unknown, buffers: ArrayBuffer[] = []): string {
  const json = JSON.stringify(fields) ?? "";
  const binary = buffers.reduce((n, b) => n + b.byteLength, 0);
  // Three bytes per UTF-16 unit at most: count exactly only when that bound is over.
  if (json.length * 3 + binary <= MAX_REQUEST_BYTES) return "";
  const bytes = new TextEncoder().encode(json).length + binary;
  if (bytes <= MAX_REQUEST_BYTES) return "";
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
  return `Too large to send to the kernel: ${mb(bytes)} MB, at most ${mb(MAX_REQUEST_BYTES)} MB at once.`;
}

export const MESSAGE_TYPES = new Set(["user_message", "assistant_message", "system_message"]);

export interface StepDict {
  id: string;
  threadId?: string;
  parentId?: string | null;
  name: string;
  type: string;
  streaming?: boolean;
  metadata?: Record<string, unknown>;
  tags?: string[] | null;
  input?: string;
  output?: string;
  /** Sent instead of `output` when the views already have the text from stream deltas. */
  outputLength?: number;
  isError?: boolean | null;
  createdAt?: string | null;
  start?: string | null;
  end?: string | null;
  language?: string | null;
  defaultOpen?: boolean | null;
  showInput?: boolean | string | null;
  generation?: Record<string, unknown> | null;
  /** An icon name (Lucide) or an emoji, shown instead of the type's icon. */
  icon?: string | null;
  command?: string | null;
  /** Element ids shown with the step (descriptions under `e<id>`, bytes under `b<id>`). */
  elements?: string[];
  actions?: ActionDict[];
  feedback?: { value: 0 | 1 | null; comment?: string | null } | null;
  /** Set by the front end, never sent: the kernel went away while this step was unfinished. */
  interrupted?: boolean;
  /** The label of the answer chosen on an action prompt. */
  selectedAction?: string;
  slot: number;
}

export interface ActionDict {
  id: string;
  name: string;
  payload?: unknown;
  label?: string;
  tooltip?: string;
  icon?: string | null;
  forId?: string | null;
}

export type ElementType =
  | "text" | "image" | "file" | "pdf" | "audio" | "video" | "plotly" | "dataframe" | "tasklist" | "custom";

export interface ElementDict {
  id: string;
  type: ElementType | string;
  name: string;
  display?: "inline" | "side" | "page";
  forId?: string | null;
  url?: string | null;
  mime?: string | null;
  size?: "small" | "medium" | "large" | null;
  language?: string | null;
  page?: number | null;
  props?: Record<string, unknown> | null;
  autoPlay?: boolean;
}

/** Upload rules: MIME patterns (or a map of MIME pattern to extensions), size, count. */
export interface UploadRules {
  accept?: string[] | Record<string, string[]>;
  max_size_mb?: number;
  max_files?: number;
}

export interface AskState {
  id: string;
  kind: "text" | "file" | "action" | "element";
  forId?: string | null;
  spec?: UploadRules & { actions?: ActionDict[]; element?: string };
  timeout?: number;
}

export interface InputDict {
  id: string;
  type: string;
  label?: string;
  initial?: unknown;
  tooltip?: string | null;
  description?: string | null;
  placeholder?: string | null;
  multiline?: boolean;
  min?: number | null;
  max?: number | null;
  step?: number | null;
  options?: { label: string; value: string }[];
  max_tags?: number;
  /** The label of the settings tab this input is in. */
  tab?: string;
  /** A datepicker's mode and bounds (YYYY-MM-DD). */
  mode?: "single" | "range";
  min_date?: string | null;
  max_date?: string | null;
}

export interface SettingsState {
  inputs?: InputDict[];
  values?: Record<string, unknown>;
}

export interface Starter {
  label: string;
  message: string;
  icon?: string | null;
  command?: string | null;
}

export interface Command {
  id: string;
  description?: string;
  icon?: string | null;
  button?: boolean;
  persistent?: boolean;
}

export interface ChatProfile {
  name: string;
  markdown_description?: string;
  icon?: string | null;
  default?: boolean;
}

export interface ThreadSummary {
  id: string;
  name?: string | null;
  createdAt?: string | null;
  updatedAt?: string | null;
  shared?: boolean;
  /** The app it was made in (`ChatApp.name`); null for a thread made before threads had one. */
  app?: string | null;
}

export interface StreamDelta {
  step: string;
  offset: number;
  text: string;
  replace?: boolean;
}

export interface StreamMessage {
  kind: typeof STREAM;
  seq: number;
  deltas: StreamDelta[];
}

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface ReplyMessage {
  kind: typeof REPLY;
  id: string;
  ok: boolean;
  result?: unknown;
  error?: ErrorInfo;
  /** Something the user should know about the request: text it could not store was replaced. */
  notice?: string;
}

/** Any other message the kernel sends (`window_message`, `toast`): an event for the page. */
export interface EventMessage {
  kind: string;
  [field: string]: unknown;
}

export type KernelMessage = StreamMessage | ReplyMessage | EventMessage;

export interface ModeDict {
  id: string;
  name: string;
  options: { id: string; name: string; description?: string | null; icon?: string | null; default?: boolean }[];
}

export interface StarterCategory {
  label: string;
  icon?: string | null;
  starters: Starter[];
}

export interface ElementSidebarState {
  title?: string;
  elements?: string[];
}

export interface ChatConfig {
  cot: "full" | "tool_call" | "hidden";
  placeholder: string;
  disable_while_running: boolean;
  assistant_name: string;
  user_name: string;
  language: string;
  file_upload?: UploadRules & { enabled?: boolean };
  /** Whether users may connect MCP servers from the widget, and over which transports. */
  mcp?: { enabled: boolean; transports: string[] };
  /** Avatar images by author name (http(s), relative, or data:image URLs); initials otherwise. */
  avatars?: Record<string, string>;
  /** Hosts whose images markdown may load without a click (`"*"`: any); others wait for one. */
  allowed_image_hosts?: string[];
  readme?: string;
  user_env_keys?: string[];
  /** Voice input: offered when enabled (the app has an on_audio_chunk handler). */
  audio?: AudioConfig;
}

/** How the browser records: PCM16 at `sample_rate`, chunks of `chunk_duration` ms; times in ms. */
export interface AudioConfig {
  enabled: boolean;
  sample_rate: number;
  chunk_duration: number;
  silence_timeout: number;
  initial_silence_timeout: number;
  min_decibels: number;
  max_duration: number;
}

/** One entry of the `connected_mcp` trait. */
export interface McpServerInfo {
  name: string;
  transport: string;
  target: string;
  tools: string[];
}

export function stepKey(slot: number): string {
  return `s${slot}`;
}

export function elementKey(id: string): string {
  return `e${id}`;
}

export function elementDataKey(id: string): string {
  return `b${id}`;
}

/** State key of a front-end library the kernel ships once (e.g. plotly.js): `{data}`. */
export function libraryKey(name: string): string {
  return `lib_${name}`;
}

export function isStepKey(key: string): boolean {
  return /^s\d+$/.test(key);
}
