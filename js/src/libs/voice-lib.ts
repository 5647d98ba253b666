// The audio engine of voice chats: a library of its own (chatwidget/static/voice.js), loaded
// the first time a chat records or plays audio (see ../audio.ts, which talks to the kernel).
//
// Capture: the microphone's stream goes through an AudioWorklet that mixes it to mono,
// resamples it to the chat's rate (the AudioContext runs at the device's, 44.1 or 48 kHz)
// and posts PCM16 chunks of the configured duration, each with where speech was last heard
// (an RMS level per render quantum against `min_decibels`). `SilenceWatch` decides when a
// recording ends. Playback: PCM16 buffers are scheduled back to back on the one
// AudioContext's timeline, so consecutive chunks play without gaps or overlaps.
import type { Capture, CaptureOptions, EndReason, PlaybackStats, VoiceEngine } from "../audio";

/**
 * Streaming resampler: linear interpolation, after a moving average over the decimation
 * factor when going down (a simple low-pass against aliasing). Pure: it also runs inside the
 * worklet (its source is copied there), so it may use nothing outside itself.
 */
export class Resampler {
  private readonly step: number;
  private readonly taps: Float32Array;
  private tap = 0;
  private sum = 0;
  private t = 0;
  private last = 0;
  private started = false;

  constructor(inRate: number, outRate: number) {
    this.step = inRate / outRate;
    this.taps = new Float32Array(this.step >= 1.5 ? Math.round(this.step) : 1);
  }

  /** Feed input samples; `emit` gets each output sample, in order. */
  push(input: Float32Array, emit: (sample: number) => void): void {
    const taps = this.taps;
    const n = taps.length;
    for (let i = 0; i < input.length; i++) {
      let y = input[i];
      if (n > 1) {
        this.sum += y - taps[this.tap];
        taps[this.tap] = y;
        this.tap = (this.tap + 1) % n;
        y = this.sum / n;
      }
      if (!this.started) {
        this.started = true;
        this.last = y;
        emit(y);
        this.t = this.step;
        continue;
      }
      // Outputs fall at positions t in (0, 1] between the last sample (0) and this one (1).
      while (this.t <= 1) {
        emit(this.last * (1 - this.t) + y * this.t); // exact at t = 1: equal rates pass through
        this.t += this.step;
      }
      this.t -= 1;
      this.last = y;
    }
  }
}

/** When a recording should end: silence after speech, nothing said at first, or too long. */
export class SilenceWatch {
  private spoke = false;
  private lastLoud = 0;

  constructor(private readonly rate: number, private readonly silenceMs: number, private readonly initialMs: number, private readonly maxMs: number) {}

  /** `total` samples recorded so far, `lastLoud` the sample where sound was last heard (-1: never). */
  update(total: number, lastLoud: number): EndReason | null {
    const ms = (samples: number) => (1000 * samples) / this.rate;
    if (lastLoud >= 0) {
      this.spoke = true;
      this.lastLoud = lastLoud;
    }
    if (this.maxMs && ms(total) >= this.maxMs) return "max_duration";
    if (!this.spoke) return this.initialMs && ms(total) >= this.initialMs ? "no_speech" : null;
    return this.silenceMs && ms(total - this.lastLoud) >= this.silenceMs ? "silence" : null;
  }
}

// The worklet's global scope (AudioWorkletGlobalScope): not part of the DOM's types.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: unknown): void;

const PROCESSOR = "chatwidget-pcm16";

interface ProcessorOptions {
  rate: number;
  chunkSamples: number;
  minDecibels: number;
}

/** The worklet's code; runs in the audio thread with `Resampler` handed in. */
function workletMain(ResamplerClass: typeof Resampler, name: string): void {
  class PcmCapture extends AudioWorkletProcessor {
    private readonly resampler: Resampler;
    private readonly chunk: Int16Array;
    private readonly threshold: number;
    private readonly emit: (sample: number) => void;
    private mix = new Float32Array(128);
    private fill = 0;
    private total = 0;
    private lastLoud = -1;
    private done = false;

    constructor(options: { processorOptions: ProcessorOptions }) {
      super();
      const o = options.processorOptions;
      this.resampler = new ResamplerClass(sampleRate, o.rate);
      this.chunk = new Int16Array(o.chunkSamples);
      this.threshold = Math.pow(10, o.minDecibels / 20);
      this.emit = (sample: number) => {
        const v = sample < -1 ? -1 : sample > 1 ? 1 : sample;
        this.chunk[this.fill++] = v < 0 ? v * 32768 : v * 32767;
        this.total++;
        if (this.fill === this.chunk.length) this.post();
      };
      this.port.onmessage = (e: MessageEvent) => {
        if (e.data !== "stop") return;
        this.post();
        this.done = true;
        this.port.postMessage({ done: true });
      };
    }

    private post(): void {
      if (!this.fill) return;
      const pcm = this.chunk.slice(0, this.fill).buffer;
      this.port.postMessage({ pcm, samples: this.fill, total: this.total, lastLoud: this.lastLoud }, [pcm]);
      this.lastLoud = -1;
      this.fill = 0;
    }

    process(inputs: Float32Array[][]): boolean {
      if (this.done) return false;
      const channels = inputs[0];
      if (!channels || !channels.length) return true;
      const n = channels[0].length;
      let mono = channels[0];
      if (channels.length > 1) {
        if (this.mix.length !== n) this.mix = new Float32Array(n);
        mono = this.mix;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (const channel of channels) s += channel[i];
          mono[i] = s / channels.length;
        }
      }
      let energy = 0;
      for (let i = 0; i < n; i++) energy += mono[i] * mono[i];
      this.resampler.push(mono, this.emit);
      if (n && Math.sqrt(energy / n) >= this.threshold) this.lastLoud = this.total;
      return true;
    }
  }
  registerProcessor(name, PcmCapture);
}

/** The worklet module's source: the resampler's class, then the processor built on it. */
export function workletSource(): string {
  return `(${String(workletMain)})(${String(Resampler)}, ${JSON.stringify(PROCESSOR)});`;
}

/** Seconds of silence before the first scheduled buffer: room for the next chunk to arrive. */
const LEAD = 0.05;
const STOP_WAIT_MS = 1000;

interface ChunkMessage {
  pcm?: ArrayBuffer;
  samples?: number;
  total?: number;
  lastLoud?: number;
  done?: boolean;
}

class Engine implements VoiceEngine {
  private ctx: AudioContext | null = null;
  private worklet: Promise<void> | null = null;
  private readonly sources = new Set<AudioBufferSourceNode>();
  private playhead = 0;
  private lastTrack = "";
  private readonly counts = { scheduled: 0, ended: 0, gaps: 0, interrupted: 0 };

  private context(): AudioContext {
    if (!this.ctx || this.ctx.state === "closed") {
      this.ctx = new AudioContext({ latencyHint: "interactive" });
      this.worklet = null;
    }
    if (this.ctx.state === "suspended") void this.ctx.resume().catch(() => undefined);
    return this.ctx;
  }

  async capture(o: CaptureOptions): Promise<Capture> {
    const devices = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
    if (!devices?.getUserMedia || typeof AudioWorkletNode === "undefined" || !window.isSecureContext) {
      throw Object.assign(new Error("voice needs a secure page"), { name: "InsecureContext" });
    }
    const ctx = this.context();
    if (!this.worklet) {
      const url = URL.createObjectURL(new Blob([workletSource()], { type: "text/javascript" }));
      this.worklet = ctx.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
    }
    await this.worklet; // before the microphone opens: no sample is lost while it loads
    const stream = await devices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false } });
    const source = ctx.createMediaStreamSource(stream);
    const chunkSamples = Math.max(1, Math.round((o.sampleRate * o.chunkMs) / 1000));
    const processorOptions: ProcessorOptions = { rate: o.sampleRate, chunkSamples, minDecibels: o.minDecibels };
    const node = new AudioWorkletNode(ctx, PROCESSOR, { processorOptions });
    const watch = new SilenceWatch(o.sampleRate, o.silenceMs, o.initialSilenceMs, o.maxMs);
    let speechEndedAt: number | null = null;
    let ended = false;
    let stopped: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (stopped = resolve));
    node.port.onmessage = (e: MessageEvent<ChunkMessage>) => {
      const m = e.data;
      if (m.done) {
        stopped();
        return;
      }
      if (!(m.pcm instanceof ArrayBuffer) || typeof m.total !== "number") return;
      const lastLoud = typeof m.lastLoud === "number" ? m.lastLoud : -1;
      if (lastLoud >= 0) speechEndedAt = Date.now() - (1000 * (m.total - lastLoud)) / o.sampleRate;
      o.onChunk(m.pcm, Number(m.samples) || 0);
      const reason = ended ? null : watch.update(m.total, lastLoud);
      if (reason) {
        ended = true;
        o.onEnd(reason, speechEndedAt);
      }
    };
    source.connect(node);
    const release = () => {
      source.disconnect();
      node.disconnect();
      for (const track of stream.getTracks()) track.stop();
    };
    return {
      stop: async () => {
        node.port.postMessage("stop");
        await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
        release();
      },
    };
  }

  play(pcm: DataView, sampleRate: number, track: string): void {
    const n = pcm.byteLength >> 1;
    if (!n) return;
    const ctx = this.context();
    const buffer = ctx.createBuffer(1, n, sampleRate);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < n; i++) samples[i] = pcm.getInt16(2 * i, true) / 32768;
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(ctx.destination);
    let at = this.playhead;
    if (at < ctx.currentTime) {
      // The timeline ran dry: within one track that is a gap (the audio came too late).
      if (track === this.lastTrack && this.counts.scheduled) this.counts.gaps++;
      at = ctx.currentTime + LEAD;
    }
    source.onended = () => {
      this.sources.delete(source);
      this.counts.ended++;
    };
    source.start(at);
    this.playhead = at + buffer.duration;
    this.lastTrack = track;
    this.sources.add(source);
    this.counts.scheduled++;
  }

  interrupt(): void {
    if (this.sources.size) this.counts.interrupted++;
    for (const source of this.sources) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // not started yet on a suspended context: nothing to stop
      }
    }
    this.sources.clear();
    this.playhead = 0;
  }

  stats(): PlaybackStats {
    return { ...this.counts, state: this.ctx?.state ?? "none" };
  }

  dispose(): void {
    this.interrupt();
    void this.ctx?.close().catch(() => undefined);
    this.ctx = null;
  }
}

export function createVoiceEngine(): VoiceEngine {
  return new Engine();
}
