// Whether the kernel behind a widget model is still there. A kernel restart or death ends
// every comm of the old kernel, and nothing tells the model so in a message: the widget
// manager marks its models not live (`comm_live_update`, the only time it changes after
// creation), and the kernel connection reports `restarting`, `autorestarting` or `dead`.
// Either signal means this model will never hear from a kernel again.
import type { AnyModel } from "@anywidget/types";

/** The part of a Lumino signal we use (JupyterLab's and Voila's kernel connections). */
interface SignalLike {
  connect(slot: () => void): unknown;
  disconnect(slot: () => void): unknown;
}

interface KernelLike {
  readonly status?: unknown;
  readonly statusChanged?: SignalLike;
}

const GONE = new Set(["restarting", "autorestarting", "dead"]);

function kernelOf(model: AnyModel): KernelLike | null {
  try {
    const manager = (model as { widget_manager?: { kernel?: unknown } }).widget_manager;
    const kernel = manager?.kernel;
    return kernel && typeof kernel === "object" ? (kernel as KernelLike) : null;
  } catch {
    return null; // a manager without a kernel (a notebook rendered from saved state) throws
  }
}

/**
 * Call `lost` once when the model's kernel restarts or dies. Returns the way to stop
 * watching. Models of other hosts (no widget manager, no kernel) are never reported lost.
 */
export function watchKernel(model: AnyModel, lost: () => void): () => void {
  let done = false;
  const report = () => {
    if (done) return;
    done = true;
    stop();
    lost();
  };
  const onLive = () => report();
  const kernel = kernelOf(model);
  const signal = kernel?.statusChanged;
  const onStatus = () => {
    if (GONE.has(String(kernel?.status))) report();
  };
  model.on("comm_live_update", onLive);
  if (signal && typeof signal.connect === "function") signal.connect(onStatus);
  const stop = () => {
    model.off("comm_live_update", onLive);
    if (signal && typeof signal.disconnect === "function") signal.disconnect(onStatus);
  };
  if (kernel && GONE.has(String(kernel.status))) queueMicrotask(report);
  return () => {
    done = true;
    stop();
  };
}
