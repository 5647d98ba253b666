// UI labels in English, French and German. `config.language` picks one ("fr-FR" falls back
// to "fr", then to "en"); when it is empty, the page's language decides.
const en = {
  send: "Send",
  stop: "Stop",
  placeholder: "Type your message here…",
  messages: "Conversation",
  loadEarlier: "Show earlier messages",
  you: "You",
  assistant: "Assistant",
  system: "System",
  running: "Running",
  using: "Using",
  used: "Used",
  input: "Input",
  output: "Output",
  copy: "Copy",
  copied: "Copied",
  error: "Error",
  sendFailed: "The message could not be sent",
  timeout: "The kernel did not answer in time. Is a cell still running?",
  protocolMismatch: "chatwidget front end and kernel package differ: restart the kernel after upgrading.",
};

export type Labels = typeof en;

const fr: Labels = {
  send: "Envoyer",
  stop: "Arrêter",
  placeholder: "Écrivez votre message ici…",
  messages: "Conversation",
  loadEarlier: "Afficher les messages précédents",
  you: "Vous",
  assistant: "Assistant",
  system: "Système",
  running: "En cours",
  using: "Utilise",
  used: "A utilisé",
  input: "Entrée",
  output: "Sortie",
  copy: "Copier",
  copied: "Copié",
  error: "Erreur",
  sendFailed: "Le message n’a pas pu être envoyé",
  timeout: "Le noyau n’a pas répondu à temps. Une cellule est-elle encore en cours d’exécution ?",
  protocolMismatch:
    "L’interface de chatwidget et le paquet du noyau diffèrent : redémarrez le noyau après la mise à jour.",
};

const de: Labels = {
  send: "Senden",
  stop: "Stopp",
  placeholder: "Nachricht eingeben…",
  messages: "Unterhaltung",
  loadEarlier: "Frühere Nachrichten anzeigen",
  you: "Sie",
  assistant: "Assistent",
  system: "System",
  running: "Läuft",
  using: "Verwendet",
  used: "Verwendete",
  input: "Eingabe",
  output: "Ausgabe",
  copy: "Kopieren",
  copied: "Kopiert",
  error: "Fehler",
  sendFailed: "Die Nachricht konnte nicht gesendet werden",
  timeout: "Der Kernel hat nicht rechtzeitig geantwortet. Läuft noch eine Zelle?",
  protocolMismatch:
    "Frontend und Kernel-Paket von chatwidget unterscheiden sich: Kernel nach dem Upgrade neu starten.",
};

const CATALOG: Record<string, Labels> = { en, fr, de };

/** The page's language: the document's `lang`, else the browser's. */
export function pageLanguage(): string {
  const docLang = typeof document !== "undefined" ? document.documentElement.lang : "";
  return docLang || (typeof navigator !== "undefined" ? navigator.language : "") || "en";
}

/** The catalog key for a BCP 47 tag: "fr-FR" → "fr" → "en". */
export function resolveLanguage(tag: string | null | undefined): string {
  const wanted = (tag || pageLanguage()).trim().toLowerCase().replace(/_/g, "-");
  const parts = wanted.split("-");
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join("-");
    if (key in CATALOG) return key;
  }
  return "en";
}

export function labels(tag: string | null | undefined): Labels {
  return CATALOG[resolveLanguage(tag)] ?? en;
}
