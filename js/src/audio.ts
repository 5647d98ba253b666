// Voice, the part in the core bundle: one `VoiceLink` per store talks to the kernel (open a
// recording, stream its PCM16 chunks as binary buffers, end it) and queues the audio the
// kernel sends back. The audio itself (AudioContext, the capture worklet, playback) is the
// lazily loaded `voice` library (src/libs/voice-lib.ts), fetched the first time a user
// presses the microphone or the kernel sends audio.
//
// One link per store, not per view: two views of a chat share its recording and play its
// answers once. A recording ends when the user presses the button again, after the
// configured silence, at `max_duration`, or when the kernel refuses a chunk; the reason is
// shown to the user (`VoiceState.error`).
import { loadLibrary } from "./lazy";
import { AUDIO_CHUNK, AUDIO_END, AUDIO_INTERRUPT, AUDIO_OUT, AUDIO_START, type AudioConfig, type EventMessage } from "./protocol";
import type { ChatStore } from "./store";

/** Why a recording ended without the user pressing stop. */
export type EndReason = "user" | "silence" | "no_speech" | "max_duration";

/** The microphone, while it records: chunks arrive through `CaptureOptions.onChunk`. */
export interface Capture {
  /** Stop recording: the last partial chunk is delivered first, then the microphone is released. */
  stop(): Promise<void>;
}

export interface CaptureOptions {
  sampleRate: number;
  chunkMs: number;
  minDecibels: number;
  silenceMs: number;
  initialSilenceMs: number;
  maxMs: number;
  /** PCM16 samples at `sampleRate`. */
  onChunk(pcm: ArrayBuffer, samples: number): void;
  /** The recording should end (silence, nothing said, too long); `speechEndedAt` is when
   * sound was last heard (epoch ms), if ever. */
  onEnd(reason: EndReason, speechEndedAt: number | null): void;
}

export interface PlaybackStats {
  /** Buffers scheduled on the AudioContext, and those that played to their end. */
  scheduled: number;
  ended: number;
  /** Buffers that started later than the end of the one before (an underrun). */
  gaps: number;
  interrupted: number;
  state: string;
}

export interface VoiceEngine {
  /** Ask for the microphone and start recording; rejects with the browser's DOMException. */
  capture(options: CaptureOptions): Promise<Capture>;
  /** Schedule PCM16 samples of `track` right after what is already scheduled. */
  play(pcm: DataView, sampleRate: number, track: string): void;
  /** Stop everything scheduled. */
  interrupt(): void;
  stats(): PlaybackStats;
  dispose(): void;
}

/** The `voice` library's module (lazy.ts checks `createVoiceEngine`). */
export interface VoiceLibrary {
  createVoiceEngine(): VoiceEngine;
}

export type VoicePhase = "idle" | "starting" | "recording" | "ending";

/** Why a recording could not start or went on: a code the views translate, or the kernel's words. */
export interface VoiceError {
  code: "denied" | "no_microphone" | "microphone_busy" | "insecure" | "unavailable" | "kernel";
  message?: string;
}

export interface VoiceState {
  phase: VoicePhase;
  error: VoiceError | null;
}

/** Recording figures, for tests and benchmarks. */
export interface RecordingStats {
  chunks: number;
  bytes: number;
  endReason: EndReason | null;
  speechEndedAt: number | null;
  endSentAt: number | null;
}

const MIN_RATE = 8000;
const MAX_RATE = 48000;

/** A DOMException from getUserMedia (or the lack of it) as a code the views can explain. */
export function microphoneError(err: unknown): VoiceError {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === "NotAllowedError" || name === "PermissionDeniedError") return { code: "denied" };
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return { code: "no_microphone" };
  if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError") return { code: "microphone_busy" };
  if (name === "SecurityError" || name === "InsecureContext") return { code: "insecure" };
  return { code: "unavailable", message: String((err as Error)?.message ?? err ?? "") };
}

export class VoiceLink {
  private state: VoiceState = { phase: "idle", error: null };
  private readonly listeners = new Set<(state: VoiceState) => void>();
  private engine: Promise<VoiceEngine | null> | null = null;
  private capture: Capture | null = null;
  private recording: string | null = null;
  /** The kernel's answer to `audio_start`: the recording's id, or null once refused. */
  private opened: Promise<string | null> = Promise.resolve(null);
  /** Chunks recorded while the kernel decides about the recording. */
  private backlog: [ArrayBuffer, number][] = [];
  private samples = 0;
  private config: AudioConfig | null = null;
  private session = 0;
  // Playback: tracks heard since the last interrupt, tracks silenced, and a generation that
  // drops what was queued before an interrupt while the library was still loading.
  private readonly heard = new Set<string>();
  private readonly silenced = new Set<string>();
  private generation = 0;
  private readonly offEvents: (() => void)[];
  readonly recordingStats: RecordingStats = { chunks: 0, bytes: 0, endReason: null, speechEndedAt: null, endSentAt: null };

  constructor(private readonly store: ChatStore) {
    this.offEvents = [
      store.onEvent(AUDIO_OUT, (msg, buffers) => this.received(msg, buffers)),
      store.onEvent(AUDIO_INTERRUPT, () => this.interrupt()),
    ];
  }

  get current(): VoiceState {
    return this.state;
  }

  /** Listen to the state; returns the way to stop. */
  subscribe(listener: (state: VoiceState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(phase: VoicePhase, error: VoiceError | null = null): void {
    this.state = { phase, error };
    for (const listen of Array.from(this.listeners)) listen(this.state);
  }

  private loadEngine(): Promise<VoiceEngine | null> {
    if (!this.engine) {
      this.engine = loadLibrary("voice").then((lib) => (lib ? lib.createVoiceEngine() : null));
      // A library that failed may load later (a kernel that can ship it appears): try again then.
      void this.engine.then((engine) => {
        if (!engine) this.engine = null;
      });
    }
    return this.engine;
  }

  /** The microphone button: start recording, stop it, or give up waiting for the microphone
   * (a permission prompt the user leaves open). */
  toggle(config: AudioConfig): Promise<void> {
    if (this.state.phase === "idle") return this.start(config);
    if (this.state.phase === "recording") return this.finish("user", null);
    if (this.state.phase === "starting") {
      this.session++;
      this.set("idle");
    }
    return Promise.resolve();
  }

  async start(config: AudioConfig): Promise<void> {
    if (this.state.phase !== "idle" || !config.enabled) return;
    const rate = Number(config.sample_rate);
    if (!(rate >= MIN_RATE && rate <= MAX_RATE)) return;
    const session = ++this.session;
    this.config = config;
    this.set("starting");
    this.interrupt(); // the user speaks: what was playing stops
    Object.assign(this.recordingStats, { chunks: 0, bytes: 0, endReason: null, speechEndedAt: null, endSentAt: null });
    this.backlog = [];
    this.samples = 0;
    this.recording = null;
    const engine = await this.loadEngine();
    if (session !== this.session) return;
    if (!engine) {
      this.set("idle", { code: "unavailable" });
      return;
    }
    let capture: Capture;
    try {
      capture = await engine.capture({
        sampleRate: rate,
        chunkMs: Number(config.chunk_duration) || 100,
        minDecibels: Number(config.min_decibels),
        silenceMs: Number(config.silence_timeout) || 0,
        initialSilenceMs: Number(config.initial_silence_timeout) || 0,
        maxMs: Number(config.max_duration) || 0,
        onChunk: (pcm, samples) => this.chunk(session, pcm, samples),
        onEnd: (reason, speechEndedAt) => void this.finish(reason, speechEndedAt, session),
      });
    } catch (err) {
      if (session === this.session) this.set("idle", microphoneError(err));
      return;
    }
    if (session !== this.session) {
      void capture.stop(); // given up meanwhile
      return;
    }
    this.capture = capture;
    this.set("recording");
    this.opened = this.store.request(AUDIO_START, { sampleRate: rate, mimeType: "pcm16" }).then((reply) => {
      const id = (reply.result as { recording?: unknown } | undefined)?.recording;
      if (session !== this.session) return null;
      if (!reply.ok || typeof id !== "string") {
        void this.abort(reply.error?.message);
        return null;
      }
      this.recording = id;
      const waiting = this.backlog;
      this.backlog = [];
      for (const [pcm, samples] of waiting) this.send(session, pcm, samples);
      return id;
    });
    await this.opened;
  }

  private chunk(session: number, pcm: ArrayBuffer, samples: number): void {
    if (session !== this.session) return;
    if (this.recording === null) this.backlog.push([pcm, samples]);
    else this.send(session, pcm, samples);
  }

  private send(session: number, pcm: ArrayBuffer, samples: number): void {
    const rate = Number(this.config?.sample_rate);
    this.samples += samples;
    const stats = this.recordingStats;
    const fields = { recording: this.recording as string, mimeType: "pcm16", elapsedTime: (1000 * this.samples) / rate, isStart: stats.chunks === 0 };
    stats.chunks++;
    stats.bytes += pcm.byteLength;
    void this.store.request(AUDIO_CHUNK, fields, [pcm]).then((reply) => {
      // A refused chunk (the kernel stopped the recording, or fell behind) ends it here too.
      if (!reply.ok && session === this.session && this.state.phase === "recording") void this.abort(reply.error?.message);
    });
  }

  /** End the recording: the last chunk, then `audio_end` (the kernel runs on_audio_end). */
  private async finish(reason: EndReason, speechEndedAt: number | null, session = this.session): Promise<void> {
    if (session !== this.session || this.state.phase !== "recording") return;
    this.set("ending");
    this.recordingStats.endReason = reason;
    this.recordingStats.speechEndedAt = speechEndedAt;
    const capture = this.capture;
    this.capture = null;
    await capture?.stop(); // delivers the last partial chunk
    const id = await this.opened; // stopped before the kernel answered: its answer still decides
    if (session !== this.session || id === null) return;
    this.recordingStats.endSentAt = Date.now();
    const reply = await this.store.request(AUDIO_END, { recording: id });
    if (session !== this.session) return;
    this.recording = null;
    this.set("idle", reply.ok ? null : { code: "kernel", message: reply.error?.message });
  }

  /** The kernel refused: stop the microphone and say why. */
  private async abort(message: string | undefined): Promise<void> {
    this.session++;
    const capture = this.capture;
    this.capture = null;
    this.recording = null;
    this.backlog = [];
    this.set("idle", { code: "kernel", message });
    await capture?.stop();
  }

  // ---- playback ---------------------------------------------------------------------------

  private received(msg: EventMessage, buffers: DataView[]): void {
    const track = typeof msg.track === "string" ? msg.track : "";
    const data = buffers[0];
    if (!track || !data || msg.mimeType !== "pcm16" || this.silenced.has(track)) return;
    const rate = Number(msg.sampleRate);
    if (!(rate >= MIN_RATE && rate <= MAX_RATE)) return;
    this.heard.add(track);
    const generation = this.generation;
    // Promise callbacks run in the order they were added: chunks keep their order.
    void this.loadEngine().then((engine) => {
      if (engine && generation === this.generation) engine.play(data, rate, track);
    });
  }

  /** Stop what plays; the tracks heard so far stay silent (as the kernel's interrupt says). */
  interrupt(): void {
    for (const track of this.heard) this.silenced.add(track);
    this.heard.clear();
    this.generation++;
    if (this.engine) void this.engine.then((engine) => engine?.interrupt());
  }

  /** Playback figures (null before the library loaded), for tests and benchmarks. */
  async playbackStats(): Promise<PlaybackStats | null> {
    const engine = this.engine ? await this.engine : null;
    return engine ? engine.stats() : null;
  }

  dispose(): void {
    this.session++;
    for (const off of this.offEvents) off();
    void this.capture?.stop();
    this.capture = null;
    if (this.engine) void this.engine.then((engine) => engine?.dispose());
    this.engine = null;
    this.listeners.clear();
  }
}

const links = new WeakMap<ChatStore, { link: VoiceLink; users: number }>();

/** The store's voice link, shared by its views; `release` it when the view goes. */
export function acquireVoice(store: ChatStore): VoiceLink {
  let entry = links.get(store);
  if (!entry) links.set(store, (entry = { link: new VoiceLink(store), users: 0 }));
  entry.users++;
  return entry.link;
}

export function releaseVoice(store: ChatStore): void {
  const entry = links.get(store);
  if (!entry || --entry.users > 0) return;
  links.delete(store);
  entry.link.dispose();
}
