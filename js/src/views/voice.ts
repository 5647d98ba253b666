// The composer's microphone button: shown when the app takes voice input
// (`config.audio.enabled`, i.e. it has an on_audio_chunk handler). Pressed, it records;
// pressed again, it stops (the recording also ends on silence). Why a recording could not
// start or stopped early (the microphone refused, the kernel refused) is shown through the
// composer's error line. The recording belongs to the chat's VoiceLink (../audio.ts), so
// every view of the chat shows the same state.
import { type VoiceError, type VoiceLink, type VoiceState, acquireVoice, releaseVoice } from "../audio";
import { resolveLanguage } from "../i18n";
import type { AudioConfig, ChatConfig } from "../protocol";
import type { ChatStore } from "../store";
import { el } from "./format";
import { namedIcon } from "./icons";

const en = {
  start: "Speak",
  stop: "Stop recording",
  starting: "Opening the microphone… (press to cancel)",
  denied: "Microphone access was denied. Allow it for this page in the browser's site settings to speak to the chat.",
  noMicrophone: "No microphone was found.",
  busy: "The microphone is in use by another application.",
  insecure: "Voice needs a secure page (https, or localhost) in a browser that allows microphone access.",
  unavailable: "Voice could not be started in this browser.",
  refused: "The chat stopped listening.",
};
type VoiceLabels = typeof en;
const CATALOG: Record<string, VoiceLabels> = {
  en,
  fr: {
    start: "Parler",
    stop: "Arrêter l'enregistrement",
    starting: "Ouverture du micro… (appuyez pour annuler)",
    denied: "L'accès au micro a été refusé. Autorisez-le pour cette page dans les réglages du navigateur pour parler au chat.",
    noMicrophone: "Aucun micro n'a été trouvé.",
    busy: "Le micro est utilisé par une autre application.",
    insecure: "La voix demande une page sécurisée (https, ou localhost) dans un navigateur qui autorise le micro.",
    unavailable: "La voix n'a pas pu démarrer dans ce navigateur.",
    refused: "Le chat a cessé d'écouter.",
  },
  de: {
    start: "Sprechen",
    stop: "Aufnahme beenden",
    starting: "Mikrofon wird geöffnet… (zum Abbrechen drücken)",
    denied: "Der Zugriff auf das Mikrofon wurde verweigert. Erlauben Sie ihn für diese Seite in den Website-Einstellungen des Browsers.",
    noMicrophone: "Kein Mikrofon gefunden.",
    busy: "Das Mikrofon wird von einer anderen Anwendung verwendet.",
    insecure: "Sprache braucht eine sichere Seite (https oder localhost) in einem Browser, der das Mikrofon erlaubt.",
    unavailable: "Sprache konnte in diesem Browser nicht gestartet werden.",
    refused: "Der Chat hört nicht mehr zu.",
  },
};

function explain(error: VoiceError, labels: VoiceLabels): string {
  switch (error.code) {
    case "denied":
      return labels.denied;
    case "no_microphone":
      return labels.noMicrophone;
    case "microphone_busy":
      return labels.busy;
    case "insecure":
      return labels.insecure;
    case "kernel":
      return error.message || labels.refused;
    default:
      return labels.unavailable;
  }
}

/** The button's element, with the chat's voice link for tests (`el.__cwVoice`). */
export interface VoiceButtonElement extends HTMLButtonElement {
  __cwVoice?: VoiceLink;
}

export class VoiceButton {
  readonly el: VoiceButtonElement;
  private readonly link: VoiceLink;
  private readonly off: () => void;
  private audio: AudioConfig | null = null;
  private labels: VoiceLabels = en;
  private shown: VoiceError | null = null;

  constructor(private readonly store: ChatStore, private readonly showError: (message: string) => void) {
    this.link = acquireVoice(store);
    this.el = el("button", "cw-voice") as VoiceButtonElement;
    this.el.type = "button";
    this.el.hidden = true;
    this.el.__cwVoice = this.link;
    const icon = namedIcon("mic", 16);
    if (icon) this.el.append(icon);
    this.el.addEventListener("click", () => {
      if (this.audio) void this.link.toggle(this.audio);
    });
    this.off = this.link.subscribe((state) => this.render(state));
    this.render(this.link.current);
  }

  /** The composer's options changed; `blocked`: a prompt that is not text waits. */
  update(config: ChatConfig, blocked: boolean): void {
    this.labels = CATALOG[resolveLanguage(config.language)] ?? en;
    const audio = config.audio;
    this.audio = audio && audio.enabled ? audio : null;
    const phase = this.link.current.phase;
    this.el.hidden = !this.audio || (blocked && phase === "idle");
    this.render(this.link.current);
  }

  private render(state: VoiceState): void {
    const recording = state.phase === "recording" || state.phase === "ending";
    const label = state.phase === "starting" ? this.labels.starting : recording ? this.labels.stop : this.labels.start;
    this.el.title = label;
    this.el.setAttribute("aria-label", label);
    this.el.setAttribute("aria-pressed", String(recording));
    this.el.dataset.state = state.phase;
    this.el.classList.toggle("cw-recording", recording);
    this.el.disabled = state.phase === "ending";
    if (state.error && state.error !== this.shown) this.showError(explain(state.error, this.labels));
    else if (state.phase === "starting" && this.shown) this.showError(""); // a new try: the old reason goes
    this.shown = state.error;
  }

  dispose(): void {
    this.off();
    releaseVoice(this.store);
  }
}
