// A widget model as anywidget hands it to the front end, in memory: state by key, `change`
// listeners called with a Backbone-like object naming the changed keys, custom messages
// both ways. What the store sends is kept in `sent`.
import type { AnyModel } from "@anywidget/types";

type Listener = (arg?: unknown) => void;

export class FakeModel {
  readonly state: Record<string, unknown>;
  readonly sent: Record<string, unknown>[] = [];
  /** The binary buffers sent with each message of `sent` (none: []). */
  readonly sentBuffers: ArrayBuffer[][] = [];
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(state: Record<string, unknown> = {}) {
    this.state = { instance: "i1", head: 0, config: {}, ...state };
  }

  get(key: string): unknown {
    return this.state[key];
  }

  set(key: string, value: unknown): void {
    this.state[key] = value;
  }

  save_changes(): void {}

  on(event: string, fn: Listener): void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)?.add(fn);
  }

  off(event: string, fn: Listener): void {
    this.listeners.get(event)?.delete(fn);
  }

  send(msg: Record<string, unknown>, _callbacks?: unknown, buffers?: ArrayBuffer[]): void {
    this.sent.push(msg);
    this.sentBuffers.push(buffers ?? []);
  }

  /** The kernel changes state keys (one `change` event naming them, as Backbone does: the
   * event's first argument is the model itself, with its `attributes`). */
  change(values: Record<string, unknown>): void {
    Object.assign(this.state, values);
    const backbone = { changedAttributes: () => ({ ...values }), attributes: this.state };
    for (const fn of this.listeners.get("change") ?? []) fn(backbone);
  }

  /** The kernel sends a custom message. */
  custom(msg: Record<string, unknown>, buffers?: DataView[]): void {
    for (const fn of this.listeners.get("msg:custom") ?? []) (fn as (m: unknown, b?: DataView[]) => void)(msg, buffers);
  }

  /** The widget manager triggers an event on the model (e.g. `comm_live_update`). */
  trigger(event: string): void {
    for (const fn of this.listeners.get(event) ?? []) fn();
  }

  /** Requests the store sent, by kind. */
  requests(kind: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.kind === kind);
  }

  listening(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  asModel(): AnyModel {
    return this as unknown as AnyModel;
  }
}

export function step(id: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: "Assistant", type: "assistant_message", output: "", streaming: false, parentId: null, ...fields };
}
