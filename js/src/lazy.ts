// Libraries kept out of the core bundle and loaded the first time a message needs them:
// KaTeX for math, highlight.js for code, the audio engine of voice chats (see audio.ts). They are built as files of their own
// (chatwidget/static/math.js, highlight.js, voice.js) and loaded, in this order, from:
//   1. next to the bundle, when the page loaded it from a URL (the share page);
//   2. the Jupyter server (`{base}chatwidget/static/`, the server extension's files);
//   3. the kernel, which ships them once as `lib_<name>` state (standalone Voila, or a
//      server without the extension) — the way plotly.js is shipped.
// Until a library is there, renderers show plain text and count a miss; views that missed
// render again when it arrives (`onLibrary`).
import type { VoiceLibrary } from "./audio";
import { serverBase } from "./server";

export interface MathLibrary {
  renderTex(tex: string, display: boolean): string;
}

export interface HighlightLibrary {
  highlight(code: string, language: string): string | null;
}

interface Libraries {
  math: MathLibrary;
  highlight: HighlightLibrary;
  voice: VoiceLibrary;
}

/** The function each library's module must export. */
const ENTRY: Record<LibraryName, string> = { math: "renderTex", highlight: "highlight", voice: "createVoiceEngine" };

export type LibraryName = keyof Libraries;

/** Where a library's source can come from besides a URL: a live kernel (see ChatStore). */
export type LibrarySource = (name: LibraryName) => Promise<string | null>;

const loaded: Partial<Libraries> = {};
const loading = new Map<LibraryName, Promise<void>>();
const failed = new Set<LibraryName>();
const sources = new Set<LibrarySource>();
const listeners = new Set<() => void>();
let misses = 0;

/** A library if loaded; otherwise starts loading it, counts a miss and returns null. */
export function library<K extends LibraryName>(name: K): Libraries[K] | null {
  const lib = loaded[name];
  if (lib) return lib as Libraries[K];
  if (!failed.has(name)) {
    misses++;
    void load(name);
  }
  return null;
}

/** How many renders so far lacked a library: a view compares it before and after rendering. */
export function missCount(): number {
  return misses;
}

/** Called once each time a library arrives; returns the unsubscribe. */
export function onLibrary(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A kernel that can ship libraries; returns the unregister. */
export function addLibrarySource(source: LibrarySource): () => void {
  sources.add(source);
  // A library that failed for lack of a source may load now.
  failed.clear();
  return () => sources.delete(source);
}

function bundleBase(): string | null {
  try {
    const here = import.meta.url;
    return /^https?:/.test(here) ? here : null;
  } catch {
    return null;
  }
}

function urls(name: LibraryName): string[] {
  const out: string[] = [];
  const base = bundleBase();
  if (base) out.push(new URL(`${name}.js`, base).href);
  if (typeof document !== "undefined" && document.getElementById("jupyter-config-data")) {
    out.push(new URL(`chatwidget/static/${name}.js`, serverBase()).href);
  }
  return [...new Set(out)];
}

async function importText(source: string): Promise<unknown> {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return await import(/* @vite-ignore */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

function valid(name: LibraryName, mod: unknown): boolean {
  const m = mod as Record<string, unknown> | null;
  return !!m && typeof m[ENTRY[name]] === "function";
}

async function fetchLibrary(name: LibraryName): Promise<unknown> {
  for (const url of urls(name)) {
    try {
      const mod: unknown = await import(/* @vite-ignore */ url);
      if (valid(name, mod)) return mod;
    } catch {
      // not served here: try the next place
    }
  }
  for (const source of Array.from(sources)) {
    const text = await source(name).catch(() => null);
    if (!text) continue;
    try {
      const mod = await importText(text);
      if (valid(name, mod)) return mod;
    } catch {
      // a broken copy: try another kernel
    }
  }
  return null;
}

function load(name: LibraryName): Promise<void> {
  let pending = loading.get(name);
  if (pending) return pending;
  pending = fetchLibrary(name).then((mod) => {
    loading.delete(name);
    if (!mod) {
      failed.add(name); // shown as plain text until a kernel that can ship it appears
      return;
    }
    (loaded as Record<string, unknown>)[name] = mod;
    for (const listener of Array.from(listeners)) listener();
  });
  loading.set(name, pending);
  return pending;
}

/** A library, loaded now if it is not yet; null if no place has it. */
export async function loadLibrary<K extends LibraryName>(name: K): Promise<Libraries[K] | null> {
  if (!loaded[name]) {
    failed.delete(name);
    await load(name);
  }
  return (loaded[name] as Libraries[K] | undefined) ?? null;
}

/** For tests: put a library in place as if it had loaded. */
export function provideLibrary<K extends LibraryName>(name: K, lib: Libraries[K]): void {
  loaded[name] = lib;
  for (const listener of Array.from(listeners)) listener();
}
