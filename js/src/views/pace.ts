// The pace at which long texts are put in the page. Rendering markdown is script; the browser
// then lays out and paints what was added, in the frame's own task. Done in one task, the
// two add up, and on a machine whose cores are busy elsewhere such a task waits long enough
// to be a visible stall. So the script runs in a task of its own after a frame is drawn, and
// the text added per frame follows how long the page took to draw the last one: halved when
// drawing was slow, grown a little at a time while it is quick (the way a network link finds
// its rate). A busy machine shows a long text a little later, in tasks that stay short.

/** Characters a frame may add: never fewer (a long text always moves on), never more. */
const MIN_CHARS = 4_096;
const MAX_CHARS = 16_384;
/** Growth per quick frame: from the least to the most in about a quarter of a second. */
const STEP_CHARS = 768;
/** Drawing a frame (wall time, from its animation callbacks to the task after them). */
const SLOW_DRAW_MS = 28;
const QUICK_DRAW_MS = 14;
/** Frames further apart than this were late; this much later, the page was hidden or idle. */
const LATE_FRAME_MS = 34;
const IDLE_FRAME_MS = 200;

/** The frame's time: every callback of one frame, and every task until the next, sees it. */
function frameTime(): number {
  return Number(document.timeline?.currentTime ?? performance.now());
}

export class FrameBudget {
  private chars = 8_192;
  private frame = -1;
  private spent = 0;
  private lastDraw = 0;

  constructor(private readonly clock: () => number = frameTime) {}

  /** Characters this frame may still add; the first call of a frame adapts the budget. */
  left(): number {
    const now = this.clock();
    if (now !== this.frame) {
      const dt = now - this.frame;
      if (dt > LATE_FRAME_MS && dt < IDLE_FRAME_MS) this.slower();
      else if (dt <= LATE_FRAME_MS && this.lastDraw < QUICK_DRAW_MS) this.chars = Math.min(MAX_CHARS, this.chars + STEP_CHARS);
      this.frame = now;
      this.spent = 0;
    }
    return Math.max(0, this.chars - this.spent);
  }

  spend(chars: number): void {
    this.spent += chars;
  }

  /** How long the page took to draw the last frame. */
  drew(ms: number): void {
    this.lastDraw = ms;
    if (ms > SLOW_DRAW_MS) this.slower();
  }

  private slower(): void {
    this.chars = Math.max(MIN_CHARS, this.chars / 2);
  }
}

/** Shared by every message of the page: the frame is drawn once for all of them. */
export const frameBudget = new FrameBudget();

const drawingListeners = new Set<() => void>();

/** Hear when a long text starts or ends being drawn somewhere in the page. */
export function onDrawingChange(listener: () => void): () => void {
  drawingListeners.add(listener);
  return () => drawingListeners.delete(listener);
}

let drawingNoticed = false;

/**
 * A long text started or ended being drawn (its element's `aria-busy` tells which). The
 * listeners hear it once the task's changes are made: an end and a start in one task (a
 * text drawn again) are one change, or none.
 */
export function drawingChanged(): void {
  if (drawingNoticed) return;
  drawingNoticed = true;
  queueMicrotask(() => {
    drawingNoticed = false;
    for (const listener of drawingListeners) listener();
  });
}

/**
 * Run `fn` in a task of its own once the next frame is drawn, and tell the budget how long
 * drawing it took. What `fn` adds is drawn in the frame after, in a task without `fn`'s script.
 */
export function afterFrame(fn: () => void): void {
  requestAnimationFrame(() => {
    const start = performance.now();
    setTimeout(() => {
      frameBudget.drew(performance.now() - start);
      fn();
    }, 0);
  });
}
