// A fake anywidget model and a fake kernel, for the dev page and browser checks without
// Jupyter. Not part of the bundle. The model mimics what anywidget hands the module:
// get/set/on/off/send/save_changes, `change:<key>` and `change` events (the latter with a
// Backbone-like model whose changedAttributes() lists the keys), and `msg:custom`.

export class FakeModel {
  constructor(state = {}) {
    this.state = { ...state };
    this.handlers = new Map();
    this.kernel = null;
    this.sent = [];
    this.latency = 5;
  }
  get(key) {
    return this.state[key];
  }
  set(key, value) {
    this.update({ [key]: value });
  }
  /** Apply several keys at once, as one state message from the kernel would. */
  update(patch) {
    Object.assign(this.state, patch);
    for (const key of Object.keys(patch)) this.emit(`change:${key}`, this, patch[key]);
    const backbone = { changedAttributes: () => ({ ...patch }) };
    this.emit("change", backbone);
  }
  save_changes() {}
  on(name, cb) {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name).add(cb);
  }
  off(name, cb) {
    if (!name) this.handlers.clear();
    else if (!cb) this.handlers.delete(name);
    else this.handlers.get(name)?.delete(cb);
  }
  emit(name, ...args) {
    for (const cb of [...(this.handlers.get(name) ?? [])]) cb(...args);
  }
  listenerCount(name) {
    return this.handlers.get(name)?.size ?? 0;
  }
  /** Browser → kernel. */
  send(content) {
    this.sent.push(content);
    if (this.kernel) setTimeout(() => this.kernel.handle(content), this.latency);
  }
  /** Kernel → browser. */
  custom(msg) {
    this.emit("msg:custom", msg, []);
  }
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();
let counter = 0;
const newId = () => `step-${++counter}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class FakeKernel {
  constructor(model, { protocol = "1" } = {}) {
    this.model = model;
    this.protocol = protocol;
    this.steps = new Map(); // id -> dict
    this.texts = new Map(); // id -> full text while streaming
    this.head = 0;
    this.seq = 0;
    this.stopped = false;
    this.refuseSend = false; // make `send` fail, to test the composer
    this.silent = false; // never reply (timeouts)
    this.onMessage = null; // async (kernel, content) => void
    model.kernel = this;
    model.update({ protocol, instance: model.state.instance ?? `fake-${Math.random().toString(16).slice(2)}`, head: 0, running: false });
  }

  add(step) {
    const dict = {
      id: step.id ?? newId(),
      name: "",
      type: "undefined",
      parentId: null,
      streaming: false,
      input: "",
      output: "",
      createdAt: iso(),
      start: null,
      end: null,
      isError: false,
      language: null,
      defaultOpen: false,
      showInput: false,
      ...step,
      slot: this.head,
    };
    this.steps.set(dict.id, dict);
    this.head += 1;
    this.model.update({ [`s${dict.slot}`]: dict, head: this.head });
    return dict.id;
  }

  /** Many steps in one state message (a restored history). */
  addMany(steps) {
    const patch = {};
    for (const step of steps) {
      const dict = { id: newId(), name: "", type: "undefined", parentId: null, streaming: false, input: "", output: "", createdAt: iso(), ...step, slot: this.head };
      this.steps.set(dict.id, dict);
      patch[`s${dict.slot}`] = dict;
      this.head += 1;
    }
    patch.head = this.head;
    this.model.update(patch);
  }

  patch(id, fields) {
    const dict = { ...this.steps.get(id), ...fields };
    this.steps.set(id, dict);
    this.model.update({ [`s${dict.slot}`]: dict });
  }

  remove(id) {
    const dict = this.steps.get(id);
    this.steps.delete(id);
    this.model.update({ [`s${dict.slot}`]: null });
  }

  /** Stream `tokens` into a step, coalesced into one message per `flushMs`, then finish it. */
  async stream(id, tokens, { flushMs = 30, perFlush = 200, finish = true, dropEvery = 0 } = {}) {
    this.patch(id, { streaming: true });
    let text = this.steps.get(id).output ?? "";
    let flushes = 0;
    for (let i = 0; i < tokens.length && !this.stopped; i += perFlush) {
      const chunk = tokens.slice(i, i + perFlush).join("");
      const delta = { step: id, offset: text.length, text: chunk };
      text += chunk;
      this.texts.set(id, text);
      flushes += 1;
      if (!(dropEvery && flushes % dropEvery === 0)) this.model.custom({ kind: "stream", seq: ++this.seq, deltas: [delta] });
      if (flushMs) await sleep(flushMs);
    }
    if (finish) {
      this.texts.delete(id);
      this.patch(id, { streaming: false, output: text, end: iso() });
    }
    return text;
  }

  reply(id, ok, result, error) {
    this.model.custom(ok ? { kind: "reply", id, ok: true, result } : { kind: "reply", id, ok: false, error });
  }

  async handle(content) {
    if (this.silent) return;
    const { kind, id } = content;
    if (kind === "hello") this.reply(id, true, { protocol: this.protocol });
    else if (kind === "resync") {
      const dict = this.steps.get(content.step);
      if (!dict) return this.reply(id, false, null, { code: "not_found", message: "no such step" });
      const text = this.texts.get(content.step);
      this.reply(id, true, { step: text === undefined ? dict : { ...dict, output: text } });
    } else if (kind === "stop") {
      this.stopped = true;
      this.reply(id, true, null);
    } else if (kind === "send") {
      if (this.refuseSend) return this.reply(id, false, null, { code: "handler_busy", message: "the kernel refused the message" });
      this.reply(id, true, null);
      this.add({ type: "user_message", name: "User", output: content.content });
      if (this.onMessage) {
        this.stopped = false;
        this.model.update({ running: true });
        try {
          await this.onMessage(this, content.content);
        } finally {
          this.model.update({ running: false });
        }
      }
    } else this.reply(id, false, null, { code: "unknown_kind", message: `unknown kind ${kind}` });
  }
}

/** A default handler: a tool step, then a streamed markdown answer. */
export async function echoHandler(kernel, text) {
  const start = iso();
  const tool = kernel.add({ type: "tool", name: "search", input: JSON.stringify({ query: text }), showInput: "json", start });
  await sleep(300);
  kernel.patch(tool, { output: JSON.stringify({ hits: 3, top: "chatwidget" }), end: iso() });
  const answer = kernel.add({ type: "assistant_message", name: "Assistant", streaming: true, start: iso() });
  const reply = `You said: **${text.replace(/[*_`]/g, "")}**\n\nHere is some code:\n\n\`\`\`python\nprint("hello")\n\`\`\`\n\nAnd math: $e^{i\\pi} + 1 = 0$.`;
  await kernel.stream(answer, reply.match(/.{1,4}/gs), { perFlush: 3 });
}
