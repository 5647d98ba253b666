// One chat message: avatar initial, author, time, and the content as markdown (or a code
// block when `language` is set). Untrusted names go through textContent only.
import type { StepDict } from "../protocol";
import type { ChatConfig } from "../protocol";
import type { Labels } from "../i18n";
import type { StepText } from "../store";
import { BodyView } from "./body";
import { type ExtrasHost, MessageExtras } from "./extras";
import { clock, el } from "./format";
import { type ElementRef, linkElementNames, referable } from "./references";

const KIND: Record<string, string> = {
  user_message: "cw-user",
  assistant_message: "cw-assistant",
  system_message: "cw-system",
};

const AVATAR_URL = /^(?:https?:\/\/|\/|\.{0,2}\/|[\w-][\w./-]*$)|^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/;

/** The avatar image the app gives an author (`config.avatars`), when its URL is safe to load. */
export function avatarUrl(avatars: Record<string, string> | undefined, name: string): string {
  if (!avatars || typeof avatars !== "object") return "";
  const url = Object.prototype.hasOwnProperty.call(avatars, name) ? avatars[name] : undefined;
  return typeof url === "string" && url.length <= 200_000 && AVATAR_URL.test(url.trim()) ? url.trim() : "";
}

export class MessageView {
  readonly el: HTMLElement;
  private readonly avatar = el("div", "cw-avatar");
  private readonly author = el("span", "cw-author");
  private readonly time = el("time", "cw-time");
  private readonly body: BodyView;
  private readonly notice = el("div", "cw-interrupted-notice");
  private readonly editSlot = el("div", "cw-edit-slot");
  private readonly extras: MessageExtras;
  private lastStep: StepDict | null = null;
  private lastText: StepText = "";
  private lastLength = 0;
  private lastAvatar = "\0";
  private refs: ElementRef[] = [];
  private relink: MutationObserver | null = null;

  constructor(readonly id: string, labels: Labels, private readonly host: ExtrasHost) {
    this.el = el("div", "cw-message");
    this.el.dataset.stepId = id;
    this.avatar.setAttribute("aria-hidden", "true");
    this.body = new BodyView("cw-content", labels);
    const header = el("div", "cw-message-header");
    header.append(this.author, this.time);
    const main = el("div", "cw-message-main");
    this.editSlot.hidden = true;
    this.extras = new MessageExtras(host, id, this.editSlot);
    this.notice.hidden = true;
    main.append(header, this.body.el, this.notice, this.editSlot, this.extras.el);
    this.el.append(this.avatar, main);
  }

  /** A handler started answering: an edit in progress is given up. */
  handlerStarted(): void {
    this.extras.stopEditWhileRunning();
  }

  dispose(): void {
    this.relink?.disconnect();
    this.extras.dispose();
    this.el.remove();
  }

  /**
   * Link the names of the message's side and page elements in its text (once it has stopped
   * streaming); the ones linked there are left out of the links under the message. Text
   * drawn again later (math or highlighting loaded) is linked again.
   */
  private linkReferences(step: StepDict, streaming: boolean): void {
    const ids = Array.isArray(step.elements) ? step.elements : [];
    this.refs = referable(ids.map((id) => this.host.store.element(id)));
    if (!this.refs.length || streaming) {
      this.relink?.disconnect();
      this.relink = null;
      this.extras.elements.setReferenced(new Set());
      return;
    }
    const link = () => {
      const linked = linkElementNames(this.body.el, this.refs, (ref) => this.host.openElement(ref.id, ref.display));
      this.extras.elements.setReferenced(linked);
    };
    link();
    if (!this.relink && typeof MutationObserver !== "undefined") {
      this.relink = new MutationObserver(link);
      this.relink.observe(this.body.el, { childList: true, subtree: true });
    }
  }

  /** The author shown and the avatar image the app gives them ("" for initials). */
  private whoWrote(step: StepDict, config: ChatConfig, labels: Labels): { name: string; picture: string; key: string } {
    const fallback =
      step.type === "user_message"
        ? config.user_name || labels.you
        : step.type === "system_message"
          ? labels.system
          : config.assistant_name || labels.assistant;
    const name = (typeof step.name === "string" && step.name.trim()) || fallback;
    const picture = avatarUrl(config.avatars, name);
    return { name, picture, key: JSON.stringify([name, picture]) };
  }

  private showAvatar(name: string, picture: string): void {
    const initial = Array.from(name.trim())[0]?.toUpperCase() ?? "?";
    this.avatar.classList.toggle("cw-avatar-picture", !!picture);
    if (!picture) {
      this.avatar.textContent = initial;
      return;
    }
    const img = el("img", "cw-avatar-image");
    img.alt = "";
    img.referrerPolicy = "no-referrer";
    img.addEventListener("error", () => {
      this.avatar.classList.remove("cw-avatar-picture");
      this.avatar.textContent = initial;
    });
    img.src = picture;
    this.avatar.replaceChildren(img);
  }

  /** `text` may be a stream's growing text: the same object grows, so its length counts too. */
  update(step: StepDict, text: StepText, config: ChatConfig, labels: Labels): void {
    this.extras.update(step);
    const who = this.whoWrote(step, config, labels);
    if (step === this.lastStep && text === this.lastText && text.length === this.lastLength && this.lastAvatar === who.key) return;
    const prev = this.lastStep;
    this.lastStep = step;
    this.lastText = text;
    this.lastLength = text.length;
    const streaming = step.streaming === true;
    const interrupted = step.interrupted === true;
    if (!prev || prev.type !== step.type || prev.isError !== step.isError || prev.streaming !== step.streaming || prev.interrupted !== step.interrupted) {
      this.el.className = [
        "cw-message",
        KIND[step.type] ?? "cw-assistant",
        step.isError ? "cw-error" : "",
        streaming ? "cw-streaming" : "",
        interrupted ? "cw-interrupted" : "",
      ]
        .filter(Boolean)
        .join(" ");
      this.notice.textContent = interrupted ? labels.interrupted : "";
      this.notice.hidden = !interrupted;
      this.el.dataset.type = step.type;
      if (streaming) this.el.setAttribute("aria-busy", "true");
      else this.el.removeAttribute("aria-busy");
    }
    if (who.key !== this.lastAvatar) {
      this.lastAvatar = who.key;
      this.author.textContent = who.name;
      this.showAvatar(who.name, who.picture);
    }
    const when = step.createdAt || step.start || "";
    if (!prev || (prev.createdAt || prev.start || "") !== when) {
      this.time.textContent = clock(when);
      if (when) {
        this.time.title = when;
        this.time.dateTime = when;
      } else {
        this.time.removeAttribute("title");
        this.time.removeAttribute("datetime");
      }
    }
    this.body.update(text, step.language, streaming);
    this.linkReferences(step, streaming);
  }
}
