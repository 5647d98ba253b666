// Step type icons: small stroked SVGs built with DOM APIs from constant path data; and a
// subset of the Lucide set for the icon names apps give starters, actions, commands, profiles.
import {
  Bot, BookOpen, Brain, Briefcase, Calculator, Calendar, Camera, ChartBar, ChartLine, Check,
  CircleQuestionMark, ClipboardList, Cloud, Code, Compass, Copy, Database, Download, File as FileIcon,
  FileText, FlaskConical, Folder, Globe, GraduationCap, Heart, House, Image as ImageIcon, Info, Languages,
  Lightbulb, Link, List, ListTodo, Mail, Map as MapIcon, MessageCircle, MessageSquare, Mic, Music,
  Newspaper, NotebookPen, Palette, PenLine, Pencil, Plane, Play, RefreshCw, Rocket, Search, Send,
  Settings, ShoppingCart, Sparkles, Star, Table, Terminal, ThumbsDown, ThumbsUp, Trash,
  TriangleAlert, Upload, User, Users, Video, Wrench, Zap,
} from "lucide";

const SVG_NS = "http://www.w3.org/2000/svg";

const PATHS: Record<string, string[]> = {
  // a wrench
  tool: ["M10.5 2.5a3 3 0 0 0-3.3 4l-4.4 4.4a1.2 1.2 0 0 0 1.7 1.7l4.4-4.4a3 3 0 0 0 4-3.3l-1.8 1.8-1.7-.4-.4-1.7z"],
  // a sparkle
  llm: ["M8 1.8l1.3 3.6 3.6 1.3-3.6 1.3L8 11.6 6.7 8 3.1 6.7l3.6-1.3z", "M12.5 10.5l.5 1.5 1.5.5-1.5.5-.5 1.5-.5-1.5-1.5-.5 1.5-.5z"],
  // a play triangle
  run: ["M5 3.2v9.6l7.5-4.8z"],
  // a magnifier
  retrieval: ["M7 2.5a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9z", "M10.3 10.3l3.4 3.4"],
  // a vector of cells
  embedding: ["M2.5 5.5h11v5h-11z", "M6.2 5.5v5", "M9.8 5.5v5"],
  // up and down arrows
  rerank: ["M5 13V3", "M2.5 5.5L5 3l2.5 2.5", "M11 3v10", "M8.5 10.5L11 13l2.5-2.5"],
  // a circle
  undefined: ["M8 4.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z"],
};

export function stepIcon(type: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "1.4");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  for (const d of PATHS[type] ?? PATHS.undefined) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

const UI_PATHS: Record<string, string[]> = {
  thumbUp: ["M5 7v6.5H2.5V7z", "M5 7l2.6-4.8c.9 0 1.6.7 1.4 1.6L8.5 6.5h4c.8 0 1.3.7 1.1 1.4l-1.2 4.6c-.2.6-.7 1-1.3 1H5"],
  thumbDown: ["M5 9V2.5H2.5V9z", "M5 9l2.6 4.8c.9 0 1.6-.7 1.4-1.6L8.5 9.5h4c.8 0 1.3-.7 1.1-1.4l-1.2-4.6c-.2-.6-.7-1-1.3-1H5"],
};

/** Small UI icons (feedback thumbs), built like the step icons. */
export function uiIcon(name: keyof typeof UI_PATHS): SVGSVGElement {
  const svg = stepIcon("__none__");
  svg.replaceChildren();
  for (const d of UI_PATHS[name]) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

// ---- named icons (the Lucide set, as Chainlit apps name them) ------------------------------
// A small subset of lucide (ISC licence), imported by name so the rest is left out of the
// bundle. Apps name icons in kebab-case ("book-open"), PascalCase ("BookOpen") or with
// underscores; a few older lucide names are aliases of the current ones.

type IconNode = [tag: string, attrs: Record<string, string | number | undefined>][];

const NAMED: Record<string, IconNode> = {
  bot: Bot, "book-open": BookOpen, brain: Brain, briefcase: Briefcase, calculator: Calculator,
  calendar: Calendar, camera: Camera, "chart-bar": ChartBar, "chart-line": ChartLine, check: Check,
  "circle-question-mark": CircleQuestionMark, "clipboard-list": ClipboardList, cloud: Cloud,
  code: Code, compass: Compass, copy: Copy, database: Database, download: Download, file: FileIcon,
  "file-text": FileText, "flask-conical": FlaskConical, folder: Folder, globe: Globe,
  "graduation-cap": GraduationCap, heart: Heart, house: House, image: ImageIcon, info: Info,
  languages: Languages, lightbulb: Lightbulb, link: Link, list: List, "list-todo": ListTodo,
  mail: Mail, map: MapIcon, "message-circle": MessageCircle, "message-square": MessageSquare, mic: Mic,
  music: Music, newspaper: Newspaper, "notebook-pen": NotebookPen, palette: Palette,
  "pen-line": PenLine, pencil: Pencil, plane: Plane, play: Play, "refresh-cw": RefreshCw,
  rocket: Rocket, search: Search, send: Send, settings: Settings, "shopping-cart": ShoppingCart,
  sparkles: Sparkles, star: Star, table: Table, terminal: Terminal, "thumbs-down": ThumbsDown,
  "thumbs-up": ThumbsUp, trash: Trash, "triangle-alert": TriangleAlert, upload: Upload, user: User,
  users: Users, video: Video, wrench: Wrench, zap: Zap,
};

const ALIASES: Record<string, string> = {
  "bar-chart": "chart-bar", "line-chart": "chart-line", "help-circle": "circle-question-mark",
  "circle-help": "circle-question-mark", "alert-triangle": "triangle-alert", home: "house",
  "trash-2": "trash", edit: "pencil", "edit-3": "pen-line", "message-square-text": "message-square",
  sparkle: "sparkles", "wand-sparkles": "sparkles", "file-code": "code", "code-2": "code",
};

/** The key of an icon name in NAMED: "BookOpen", "book_open" and "book-open" are one icon. */
export function iconKey(name: string): string {
  const kebab = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/[\s_]+/g, "-")
    .toLowerCase();
  return ALIASES[kebab] ?? kebab;
}

/** A named icon as an SVG built from constant data, or null for a name not in the subset. */
export function namedIcon(name: string, size = 16): SVGSVGElement | null {
  const node = NAMED[iconKey(name)];
  if (!node) return null;
  const svg = document.createElementNS(SVG_NS, "svg");
  for (const [k, v] of Object.entries({
    viewBox: "0 0 24 24", width: size, height: size, fill: "none", stroke: "currentColor",
    "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round",
    "aria-hidden": "true", focusable: "false", class: "cw-icon",
  })) svg.setAttribute(k, String(v));
  for (const [tag, attrs] of node) {
    const child = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) child.setAttribute(k, String(v));
    svg.append(child);
  }
  return svg;
}

/** An emoji-like symbol of at most two characters (not a word), shown as text. */
export function iconSymbol(icon: unknown): string {
  return typeof icon === "string" && icon && Array.from(icon).length <= 2 && !/^[\w-]+$/.test(icon) ? icon : "";
}

/**
 * What an `icon` field shows: an emoji as text, a known icon name as an SVG, else nothing
 * (an unknown name is never shown as text: it would read as a stray word).
 */
export function iconFor(icon: unknown, className: string, size = 16): HTMLElement | null {
  const symbol = iconSymbol(icon);
  if (symbol) {
    const span = document.createElement("span");
    span.className = className;
    span.textContent = symbol;
    return span;
  }
  const svg = typeof icon === "string" && icon.length <= 64 ? namedIcon(icon, size) : null;
  if (!svg) return null;
  const span = document.createElement("span");
  span.className = className;
  span.append(svg);
  return span;
}
