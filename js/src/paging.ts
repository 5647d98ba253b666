// Which top-level items a chat view renders: the newest page at first, at most two pages
// while it follows a growing conversation (layout and scrolling cost what the DOM holds),
// and one more page each time the reader asks for earlier messages.

export class Paging {
  /** How many of the oldest top-level items are not rendered. */
  hidden = 0;
  private first = true;

  constructor(readonly page = 50) {}

  /** The number of hidden items for `total` top-level items; `following`: stuck to the bottom. */
  layout(total: number, following: boolean): number {
    if (this.first) {
      this.hidden = Math.max(0, total - this.page);
      this.first = total === 0;
    }
    this.hidden = Math.min(this.hidden, total);
    if (following) this.hidden = Math.max(this.hidden, total - 2 * this.page);
    return this.hidden;
  }

  /** Whether a first non-empty layout happened (earlier pages load on scroll only after it). */
  get started(): boolean {
    return !this.first;
  }

  /** Reveal one more page of older items; false when there were none. */
  earlier(): boolean {
    if (this.hidden === 0) return false;
    this.hidden = Math.max(0, this.hidden - this.page);
    return true;
  }
}
