// Which top-level items a chat view renders: a screenful at first (painted at once), then
// the rest of the newest page a screenful per frame, at most a page and a screenful while it
// follows a growing conversation (every turn's layout costs what the DOM holds), and one
// more page each time the reader asks for earlier messages.
//
// The oldest item shown is remembered by id, not by position: a resumed thread's older
// messages arrive after its newest ones and go before them, and must not shift the view.

export class Paging {
  /** How many of the oldest top-level items are not rendered. */
  hidden = 0;
  private anchor: string | null = null;
  private fresh = true;
  private filling = false;

  constructor(
    readonly page = 50,
    readonly screenful = 12,
  ) {}

  /** The number of hidden items of `ids` (oldest first); `following`: stuck to the bottom. */
  layout(ids: readonly string[], following: boolean): number {
    const total = ids.length;
    if (total === 0) {
      // An emptied conversation (a new chat, another thread) starts again with a screenful.
      this.fresh = true;
      this.filling = false;
      return this.keep(ids, 0);
    }
    if (this.fresh) {
      this.fresh = false;
      const hidden = Math.max(0, total - this.screenful);
      this.filling = hidden > 0 && this.screenful < this.page;
      return this.keep(ids, hidden);
    }
    let hidden = this.position(ids);
    if (following) hidden = Math.max(hidden, total - this.page - this.screenful);
    return this.keep(ids, hidden);
  }

  /** Whether a first non-empty layout happened (earlier pages load on scroll only after it). */
  get started(): boolean {
    return !this.fresh;
  }

  /** Whether the first page is still being filled in after its first screenful. */
  get isFilling(): boolean {
    return this.filling;
  }

  /** One more screenful of the first page, after the first was painted; false when done. */
  fill(ids: readonly string[]): boolean {
    if (!this.filling) return false;
    const floor = Math.max(0, ids.length - this.page);
    const now = this.position(ids);
    const hidden = Math.max(floor, now - this.screenful);
    this.keep(ids, hidden);
    this.filling = hidden > floor;
    return hidden < now;
  }

  /** Reveal one more page of older items; false when there were none. */
  earlier(ids: readonly string[]): boolean {
    this.filling = false;
    const now = this.position(ids);
    if (now === 0) return false;
    this.keep(ids, Math.max(0, now - this.page));
    return true;
  }

  private position(ids: readonly string[]): number {
    const at = this.anchor === null ? -1 : ids.indexOf(this.anchor);
    return at >= 0 ? at : Math.min(this.hidden, ids.length); // the anchor went (an edit): keep the count
  }

  private keep(ids: readonly string[], hidden: number): number {
    this.hidden = hidden;
    this.anchor = ids[hidden] ?? null;
    return hidden;
  }
}
