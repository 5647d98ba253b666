// The sanitizer for everything rendered from markdown. The widget lives inside the
// JupyterLab page: markup that runs script, submits forms, clobbers globals, borrows
// JupyterLab's classes or triggers its commands would act with the user's server rights.
// Remote images are held as placeholders, never fetched by rendering (images.ts).
import DOMPurify, { type Config, type DOMPurify as Purifier } from "dompurify";
import { SRC_ATTR, holdRemoteImages, remoteHost } from "./images";

/** Every class on an element must match, or the class attribute is dropped. */
const SAFE_CLASS = /^(?:hljs(?:-[\w-]+)?|[a-z]+_{1,3}|language-[A-Za-z0-9_+-]{1,32}|katex(?:-[\w-]+)?|cw-[\w-]+)$/;
/** http(s), mailto, and relative or anchor references (no other scheme). */
const SAFE_URI = /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;
const SAFE_DATA_IMAGE = /^data:image\/(?:png|jpeg|gif|webp)[;,]/i;
const URI_ATTRS = ["href", "src", "xlink:href", "action", "formaction", "cite", "poster", "background"];

export const FORBID_TAGS = [
  "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
  "button", "textarea", "select", "option", "optgroup", "base", "meta", "link", "svg", "template",
  "noscript", "audio", "video", "source", "track", "dialog", "portal", "slot",
];

export const FORBID_ATTR = [
  "style", "id", "name", "srcset", "action", "formaction", "ping", "background", "poster",
  "xlink:href", "form", "contenteditable", "autofocus", "popover", "is", "slot", "target",
];

const CONFIG: Config = {
  USE_PROFILES: { html: true, mathMl: true },
  // KaTeX's MathML output wraps the formula in <semantics> with its TeX <annotation>.
  ADD_TAGS: ["semantics", "annotation"],
  FORBID_TAGS,
  FORBID_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOWED_URI_REGEXP: SAFE_URI,
  SANITIZE_DOM: true,
  SANITIZE_NAMED_PROPS: true,
  KEEP_CONTENT: true,
};

let purifier: Purifier | null = null;

function instance(): Purifier {
  if (purifier) return purifier;
  // A private instance: our hooks never touch another library's DOMPurify.
  const p = DOMPurify(window);
  p.addHook("uponSanitizeAttribute", (_node, data) => {
    const name = data.attrName;
    if (name.startsWith("data-") || name.startsWith("on")) data.keepAttr = false;
  });
  p.addHook("afterSanitizeAttributes", (node) => {
    if (!(node instanceof Element)) return;
    const cls = node.getAttribute("class");
    if (cls !== null && !cls.split(/\s+/).filter(Boolean).every((c) => SAFE_CLASS.test(c))) {
      node.removeAttribute("class");
    }
    for (const attr of URI_ATTRS) {
      const value = node.getAttribute(attr);
      if (value === null) continue;
      const v = value.trim();
      const ok =
        attr === "src" && node.localName === "img" && /^data:/i.test(v)
          ? SAFE_DATA_IMAGE.test(v)
          : (attr === "href" || attr === "src") && SAFE_URI.test(v) && !/^data:/i.test(v);
      if (!ok) node.removeAttribute(attr);
      else if (attr === "src" && remoteHost(v) !== null) {
        // Held, not loaded: the image becomes a placeholder (see images.ts).
        node.setAttribute(SRC_ATTR, v);
        node.removeAttribute(attr);
      }
    }
    if ((node.localName === "a" || node.localName === "area") && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
  // Parse the configuration once; every sanitize call reuses it.
  p.setConfig({ ...CONFIG, RETURN_DOM_FRAGMENT: true });
  purifier = p;
  return p;
}

/**
 * A `<` that does not open or close one of these tags, bare (no attribute, lower case).
 * Markup without one holds only such elements and escaped text: nothing that runs script,
 * loads a URL, names a global or borrows a class, and nothing the sanitizer would remove
 * or change. Most of a long answer's prose is such markup, which is then only parsed.
 */
const NOT_BARE = /<(?!\/?(?:p|h[1-6]|ul|ol|li|blockquote|em|strong|code|pre|s|hr|br)>)/;

/** Parse markup that is bare (see NOT_BARE), without a document of its own. */
function parseBare(html: string): DocumentFragment {
  // Template contents are inert: nothing in them runs or loads while they are built.
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

/**
 * Sanitize HTML into a fragment, which is inserted as is: no serialize-and-reparse round
 * trip, which is where mutation XSS lives.
 */
export function sanitizeToFragment(html: string): DocumentFragment {
  return isBare(html) ? parseBare(html) : purify(html);
}

/** Whether `html` holds only bare tags and text (see NOT_BARE). */
export function isBare(html: string): boolean {
  return !NOT_BARE.test(html);
}

/** The full sanitizer, whatever the markup. */
export function purify(html: string): DocumentFragment {
  const fragment = instance().sanitize(html) as unknown as DocumentFragment;
  holdRemoteImages(fragment);
  return fragment;
}
