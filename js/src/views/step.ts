// One step: a collapsible <details> with an icon per type, the name, a spinner while it
// runs or its duration once done, its input (when `showInput`), its output and its
// children (nested steps, placed by the chat view).
import type { StepDict } from "../protocol";
import type { Labels } from "../i18n";
import { BodyView } from "./body";
import { type ElementHost, ElementsView } from "./elements";
import { duration, el } from "./format";
import { GenerationView } from "./generation";
import { namedIcon, stepIcon } from "./icons";


export class StepView {
  readonly el: HTMLDetailsElement;
  readonly children: HTMLElement;
  private readonly icon = el("span", "cw-step-icon");
  private readonly verb = el("span", "cw-step-verb");
  private readonly name = el("span", "cw-step-name");
  private readonly spinner = el("span", "cw-spinner");
  private readonly duration = el("span", "cw-duration");
  private readonly input: HTMLElement;
  private readonly inputBody: BodyView;
  private readonly output: HTMLElement;
  private readonly outputBody: BodyView;
  private readonly elements: ElementsView;
  private readonly generation = new GenerationView();
  private lastStep: StepDict | null = null;
  private lastText = "";
  private userToggled = false;
  private settingOpen = false;

  constructor(readonly id: string, labels: Labels, host: ElementHost) {
    this.el = document.createElement("details");
    this.el.className = "cw-step";
    this.el.dataset.stepId = id;
    const header = document.createElement("summary");
    header.className = "cw-step-header";
    this.icon.setAttribute("aria-hidden", "true");
    this.spinner.setAttribute("role", "status");
    this.spinner.setAttribute("aria-label", labels.running);
    header.append(this.icon, this.verb, this.name, this.spinner, this.duration);
    this.inputBody = new BodyView("cw-step-input-body", labels);
    this.input = el("div", "cw-step-input");
    this.input.append(el("div", "cw-step-label", labels.input), this.inputBody.el);
    this.outputBody = new BodyView("cw-step-output-body", labels);
    this.output = el("div", "cw-step-output");
    this.output.append(el("div", "cw-step-label", labels.output), this.outputBody.el);
    this.children = el("div", "cw-step-children");
    const body = el("div", "cw-step-body");
    this.elements = new ElementsView(host);
    body.append(this.generation.el, this.input, this.output, this.elements.el, this.children);
    this.el.append(header, body);
    this.el.addEventListener("toggle", () => {
      if (!this.settingOpen) this.userToggled = true;
    });
  }

  dispose(): void {
    this.elements.dispose();
    this.el.remove();
  }

  update(step: StepDict, text: string, labels: Labels): void {
    this.elements.update(step.elements);
    if (step === this.lastStep && text === this.lastText) return;
    const prev = this.lastStep;
    this.lastStep = step;
    this.lastText = text;
    const interrupted = step.interrupted === true;
    const running = !!step.start && !step.end && !interrupted;
    const streaming = step.streaming === true;
    this.el.className = ["cw-step", running ? "cw-running" : "", step.isError ? "cw-error" : "", interrupted ? "cw-interrupted" : ""]
      .filter(Boolean)
      .join(" ");
    this.el.dataset.type = step.type;
    if (!prev || prev.type !== step.type || prev.icon !== step.icon) {
      // An icon named by the app (Lucide names), else the one of the step's type.
      this.icon.replaceChildren((typeof step.icon === "string" && namedIcon(step.icon, 14)) || stepIcon(step.type));
    }
    this.verb.textContent = running ? labels.using : labels.used;
    this.name.textContent = typeof step.name === "string" ? step.name : "";
    this.spinner.hidden = !running;
    const took = running ? "" : interrupted ? labels.interrupted : duration(step.start, step.end);
    this.duration.textContent = took;
    this.duration.hidden = !took;
    if (running || streaming) this.el.setAttribute("aria-busy", "true");
    else this.el.removeAttribute("aria-busy");
    if (!this.userToggled && (!prev || prev.defaultOpen !== step.defaultOpen)) {
      this.settingOpen = true;
      this.el.open = !!step.defaultOpen;
      // The toggle event is dispatched asynchronously; forget our own change after it.
      setTimeout(() => (this.settingOpen = false), 0);
    }
    const showInput = step.showInput;
    const inputText = typeof step.input === "string" ? step.input : "";
    if (showInput && inputText) {
      this.input.hidden = false;
      const lang = typeof showInput === "string" ? showInput : null;
      this.inputBody.update(inputText, lang, false, true);
    } else {
      this.input.hidden = true;
    }
    this.generation.update(step.generation, labels);
    this.output.hidden = !text && !streaming;
    if (!this.output.hidden) this.outputBody.update(text, step.language, streaming, true);
  }
}
