// Step type icons: small stroked SVGs built with DOM APIs from constant path data.
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
