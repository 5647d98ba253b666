import { afterEach, describe, expect, it } from "vitest";
import { type Capture, type CaptureOptions, type PlaybackStats, type VoiceEngine, VoiceLink, microphoneError } from "../src/audio";
import { provideLibrary } from "../src/lazy";
import { Resampler, SilenceWatch, workletSource } from "../src/libs/voice-lib";
import type { AudioConfig } from "../src/protocol";
import { ChatStore } from "../src/store";
import { FakeModel } from "./fake-model";

function sine(rate: number, seconds: number, hz = 440, amplitude = 0.4): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

function crossings(samples: ArrayLike<number>): number {
  let n = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1] < 0 && samples[i] >= 0) n++;
  return n;
}

function resample(input: Float32Array, from: number, to: number, block = 128): number[] {
  const r = new Resampler(from, to);
  const out: number[] = [];
  for (let i = 0; i < input.length; i += block) r.push(input.subarray(i, i + block), (v) => out.push(v));
  return out;
}

describe("the resampler", () => {
  it.each([
    [44100, 24000],
    [48000, 16000],
    [48000, 24000],
    [16000, 24000],
    [24000, 24000],
  ])("keeps duration and pitch from %i Hz to %i Hz", (from, to) => {
    const out = resample(sine(from, 2), from, to);
    expect(Math.abs(out.length - 2 * to)).toBeLessThanOrEqual(1);
    expect(Math.abs(crossings(out) - 880)).toBeLessThanOrEqual(1); // 440 Hz for 2 s
    expect(Math.max(...out)).toBeGreaterThan(0.38);
  });

  it("is exact where the rates are equal", () => {
    const input = sine(24000, 0.1);
    expect(resample(input, 24000, 24000)).toEqual(Array.from(input));
  });

  it("damps what the lower rate cannot hold (10 kHz into 16 kHz)", () => {
    const out = resample(sine(48000, 0.5, 10_000), 48000, 16000);
    expect(Math.max(...out.slice(10))).toBeLessThan(0.2); // the box filter's attenuation, not 0.4
  });
});

describe("when a recording ends", () => {
  const rate = 1000; // one sample per millisecond
  it("after silence once the user spoke", () => {
    const w = new SilenceWatch(rate, 1500, 3000, 0);
    expect(w.update(500, 400)).toBeNull();
    expect(w.update(1800, -1)).toBeNull();
    expect(w.update(1900, -1)).toBe("silence");
  });
  it("when nothing is said at first, or never if asked", () => {
    expect(new SilenceWatch(rate, 1500, 3000, 0).update(3000, -1)).toBe("no_speech");
    expect(new SilenceWatch(rate, 0, 0, 0).update(60_000, -1)).toBeNull();
    const w = new SilenceWatch(rate, 0, 3000, 0);
    w.update(100, 50);
    expect(w.update(60_000, -1)).toBeNull();
  });
  it("at the longest duration", () => {
    expect(new SilenceWatch(rate, 1500, 3000, 10_000).update(10_000, 9_999)).toBe("max_duration");
  });
});

/** The worklet's code as the audio thread runs it, with its global scope stubbed. */
function worklet(inRate: number, options: { rate: number; chunkSamples: number; minDecibels: number }) {
  const posted: Record<string, unknown>[] = [];
  let Processor: new (o: unknown) => { process(inputs: Float32Array[][]): boolean; port: { onmessage: (e: { data: unknown }) => void } } =
    undefined as never;
  class AudioWorkletProcessor {
    port = { postMessage: (m: Record<string, unknown>) => posted.push(m), onmessage: (_e: { data: unknown }) => undefined };
  }
  const register = (_name: string, P: typeof Processor) => (Processor = P);
  new Function("AudioWorkletProcessor", "registerProcessor", "sampleRate", workletSource())(AudioWorkletProcessor, register, inRate);
  return { processor: new Processor({ processorOptions: options }), posted };
}

describe("the capture worklet", () => {
  it("posts PCM16 chunks at the chat's rate with where sound was last heard", () => {
    const { processor, posted } = worklet(44100, { rate: 24000, chunkSamples: 2400, minDecibels: -45 });
    const tone = sine(44100, 2);
    const quiet = new Float32Array(44100);
    for (const part of [tone, quiet]) {
      for (let i = 0; i < part.length; i += 128) {
        const block = part.subarray(i, i + 128);
        expect(processor.process([[block, block]])).toBe(true); // stereo, mixed to mono
      }
    }
    processor.port.onmessage({ data: "stop" });
    expect(posted[posted.length - 1]).toEqual({ done: true });
    const chunks = posted.slice(0, -1) as { pcm: ArrayBuffer; samples: number; total: number; lastLoud: number }[];
    const total = chunks.reduce((n, c) => n + c.samples, 0);
    expect(Math.abs(total - 72000)).toBeLessThanOrEqual(2); // 3 s at 24 kHz
    expect(chunks.slice(0, -1).every((c) => c.samples === 2400 && c.pcm.byteLength === 4800)).toBe(true);
    const pcm = new Int16Array(total);
    let at = 0;
    for (const c of chunks) {
      pcm.set(new Int16Array(c.pcm), at);
      at += c.samples;
    }
    expect(Math.abs(crossings(pcm.subarray(0, 48000)) - 880)).toBeLessThanOrEqual(1);
    expect(Math.max(...pcm.subarray(0, 48000))).toBeGreaterThan(0.38 * 32767);
    expect(pcm.subarray(48100).every((v) => v === 0)).toBe(true);
    const lastLoud = Math.max(...chunks.map((c) => c.lastLoud));
    expect(Math.abs(lastLoud - 48000)).toBeLessThan(100); // sound ended at 2 s
    expect(chunks.slice(21).every((c) => c.lastLoud === -1)).toBe(true);
    expect(processor.process([[quiet.subarray(0, 128)]])).toBe(false); // stopped: the node may go
  });
});

// ---- the voice link, against a fake kernel and a fake engine -------------------------------

const CONFIG: AudioConfig = {
  enabled: true,
  sample_rate: 24000,
  chunk_duration: 100,
  silence_timeout: 1500,
  initial_silence_timeout: 3000,
  min_decibels: -45,
  max_duration: 0,
};

class FakeEngine implements VoiceEngine {
  options: CaptureOptions | null = null;
  refuse: unknown = null;
  stopped = 0;
  played: [number, string, number][] = [];
  interrupts = 0;
  async capture(options: CaptureOptions): Promise<Capture> {
    if (this.refuse) throw this.refuse;
    this.options = options;
    return {
      stop: async () => {
        this.stopped++;
      },
    };
  }
  play(pcm: DataView, sampleRate: number, track: string): void {
    this.played.push([pcm.byteLength, track, sampleRate]);
  }
  interrupt(): void {
    this.interrupts++;
  }
  stats(): PlaybackStats {
    return { scheduled: this.played.length, ended: 0, gaps: 0, interrupted: this.interrupts, state: "running" };
  }
  dispose(): void {}
}

const engine = new FakeEngine();
provideLibrary("voice", { createVoiceEngine: () => engine });

function setup() {
  const model = new FakeModel();
  const store = new ChatStore(model.asModel(), "i1", false);
  const link = new VoiceLink(store);
  const answer = (kind: string, result: unknown, ok = true) => {
    const sent = model.requests(kind);
    const request = sent[sent.length - 1] as { id: string };
    model.custom(ok ? { kind: "reply", id: request.id, ok, result } : { kind: "reply", id: request.id, ok, error: result });
  };
  return { model, store, link, answer };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  Object.assign(engine, { options: null, refuse: null, stopped: 0, played: [], interrupts: 0 });
});

describe("the voice link", () => {
  it("records, sends chunks as binary buffers once the kernel accepts, and ends", async () => {
    const { model, link, answer } = setup();
    const started = link.start(CONFIG);
    await tick();
    expect(link.current.phase).toBe("recording");
    expect(model.requests("audio_start")).toMatchObject([{ sampleRate: 24000, mimeType: "pcm16" }]);
    engine.options?.onChunk(new ArrayBuffer(4800), 2400); // before the kernel answered: kept
    expect(model.requests("audio_chunk")).toEqual([]);
    answer("audio_start", { recording: "r1" });
    await started;
    engine.options?.onChunk(new ArrayBuffer(4800), 2400);
    const chunks = model.requests("audio_chunk");
    expect(chunks).toMatchObject([
      { recording: "r1", mimeType: "pcm16", elapsedTime: 100, isStart: true },
      { recording: "r1", mimeType: "pcm16", elapsedTime: 200, isStart: false },
    ]);
    const sentWith = model.sent.map((m, i) => [m.kind, model.sentBuffers[i].map((b) => b.byteLength)]);
    expect(sentWith.filter(([kind]) => kind === "audio_chunk")).toEqual([
      ["audio_chunk", [4800]],
      ["audio_chunk", [4800]],
    ]);
    engine.options?.onEnd("silence", 1234);
    await tick();
    expect(engine.stopped).toBe(1);
    expect(model.requests("audio_end")).toMatchObject([{ recording: "r1" }]);
    answer("audio_end", { chunks: 2, seconds: 0.2 });
    await tick();
    expect(link.current).toEqual({ phase: "idle", error: null });
    expect(link.recordingStats).toMatchObject({ chunks: 2, bytes: 9600, endReason: "silence", speechEndedAt: 1234 });
  });

  it("explains a denied microphone and tells the kernel nothing", async () => {
    const { model, link } = setup();
    engine.refuse = Object.assign(new Error("Permission denied"), { name: "NotAllowedError" });
    await link.start(CONFIG);
    expect(link.current).toEqual({ phase: "idle", error: { code: "denied" } });
    expect(model.sent).toEqual([]);
    expect(microphoneError({ name: "NotFoundError" })).toEqual({ code: "no_microphone" });
    expect(microphoneError({ name: "InsecureContext" })).toEqual({ code: "insecure" });
  });

  it("gives up waiting for the microphone when pressed again, and releases it once it comes", async () => {
    const { model, link } = setup();
    let grant: (c: Capture) => void = () => undefined;
    let stopped = 0;
    engine.capture = () => new Promise<Capture>((resolve) => (grant = resolve));
    const started = link.start(CONFIG);
    await tick();
    expect(link.current.phase).toBe("starting");
    await link.toggle(CONFIG);
    expect(link.current).toEqual({ phase: "idle", error: null });
    grant({ stop: async () => void stopped++ }); // the user answered the prompt after all
    await started;
    expect(stopped).toBe(1);
    expect(model.sent).toEqual([]);
    engine.capture = FakeEngine.prototype.capture;
  });

  it("stops the microphone when the kernel refuses, with the kernel's reason", async () => {
    const { link, answer } = setup();
    const started = link.start(CONFIG);
    await tick();
    answer("audio_start", { code: "audio_refused", message: "This chat is not listening right now." }, false);
    await started;
    await tick();
    expect(engine.stopped).toBe(1);
    expect(link.current).toEqual({ phase: "idle", error: { code: "kernel", message: "This chat is not listening right now." } });
  });

  it("stops when the kernel refuses a chunk", async () => {
    const { model, link, answer } = setup();
    const started = link.start(CONFIG);
    await tick();
    answer("audio_start", { recording: "r1" });
    await started;
    engine.options?.onChunk(new ArrayBuffer(4800), 2400);
    answer("audio_chunk", { code: "busy", message: "The chat fell behind the audio: the recording was stopped." }, false);
    await tick();
    expect(engine.stopped).toBe(1);
    expect(link.current.error?.message).toContain("fell behind");
    engine.options?.onChunk(new ArrayBuffer(4800), 2400); // a late chunk of the stopped recording
    expect(model.requests("audio_chunk")).toHaveLength(1);
  });

  it("plays chunks in order; an interrupt silences the tracks heard so far", async () => {
    const { model, link, answer } = setup();
    const audio = (track: string, bytes: number) =>
      model.custom({ kind: "audio_chunk", track, mimeType: "pcm16", sampleRate: 24000 }, [new DataView(new ArrayBuffer(bytes))]);
    audio("a", 10);
    audio("a", 20);
    model.custom({ kind: "audio_chunk", track: "a", mimeType: "wav", sampleRate: 24000 }, [new DataView(new ArrayBuffer(2))]);
    model.custom({ kind: "audio_chunk", track: "a", mimeType: "pcm16", sampleRate: 3 }, [new DataView(new ArrayBuffer(2))]);
    await tick();
    model.custom({ kind: "audio_interrupt" });
    audio("a", 30); // the interrupted track goes on: dropped
    audio("b", 40);
    await tick();
    expect(engine.played).toEqual([
      [10, "a", 24000],
      [20, "a", 24000],
      [40, "b", 24000],
    ]);
    expect(engine.interrupts).toBe(1);
    const started = link.start(CONFIG); // speaking interrupts what plays
    await tick();
    expect(engine.interrupts).toBe(2);
    link.dispose();
    answer("audio_start", { recording: "r2" }); // answered after the view went: nothing more happens
    await started;
    expect(model.requests("audio_chunk")).toEqual([]);
  });
});
