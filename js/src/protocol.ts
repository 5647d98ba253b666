// The wire protocol between the browser and the kernel; mirrors chatwidget/_protocol.py.
//
// Lasting state is widget state: traits `protocol`, `instance`, `title`, `config`,
// `running`, and one key per step, `s<slot>` (a StepDict plus `slot`, or null once
// removed), with `head` the number of slots handed out. Events are custom messages with a
// `kind`; each request from the browser has an `id` and is settled by exactly one `reply`.

export const PROTOCOL_VERSION = "1";

// Kinds sent by the kernel.
export const REPLY = "reply";
export const STREAM = "stream";

// Kinds sent by the browser (requests).
export const HELLO = "hello";
export const SEND = "send";
export const STOP = "stop";
export const RESYNC = "resync";

/** How long a request may wait for its reply before it settles as a timeout. */
export const REQUEST_TIMEOUT_MS = 15_000;

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
  isError?: boolean | null;
  createdAt?: string | null;
  start?: string | null;
  end?: string | null;
  language?: string | null;
  defaultOpen?: boolean | null;
  showInput?: boolean | string | null;
  generation?: Record<string, unknown> | null;
  slot: number;
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
}

export type KernelMessage = StreamMessage | ReplyMessage;

export interface ChatConfig {
  cot: "full" | "tool_call" | "hidden";
  placeholder: string;
  disable_while_running: boolean;
  assistant_name: string;
  user_name: string;
  language: string;
}

export function stepKey(slot: number): string {
  return `s${slot}`;
}

export function isStepKey(key: string): boolean {
  return /^s\d+$/.test(key);
}
