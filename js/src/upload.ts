// Files sent to the kernel: checked here against the rules first (the kernel checks again),
// then `upload_start` → chunks (`upload_chunk`, one binary buffer each) → `upload_end`.
import { type Labels, fill } from "./i18n";
import { MAX_REQUEST_BYTES, type Requests, UPLOAD_ABORT, UPLOAD_CHUNK, UPLOAD_END, UPLOAD_START, type UploadRules } from "./protocol";
import type { ChatStore } from "./store";

/** A glob on MIME types: `*` matches anything, as fnmatch does in the kernel. */
function mimeMatch(mime: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.toLowerCase().split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`);
  return re.test(mime);
}

function extension(name: string): string {
  const at = name.lastIndexOf(".");
  return at > 0 ? name.slice(at).toLowerCase() : "";
}

/** Whether a file matches `accept` (the kernel's rule, in `chatwidget/_uploads.py`): a MIME
 * pattern OR a listed extension, since browsers disagree on many files' types. */
export function accepts(accept: UploadRules["accept"], name: string, mime: string): boolean {
  if (!accept) return true;
  const type = (mime || "application/octet-stream").toLowerCase();
  const ext = extension(name);
  const entries = Array.isArray(accept) ? accept.map(String) : Object.keys(accept);
  const exts = entries.filter((e) => e.startsWith("."));
  if (!Array.isArray(accept)) {
    for (const listed of Object.values(accept)) {
      if (Array.isArray(listed)) exts.push(...listed.map((e) => (String(e).startsWith(".") ? String(e) : `.${e}`)));
    }
  }
  if (exts.some((e) => e.toLowerCase() === ext)) return true;
  return entries.some((p) => !p.startsWith(".") && mimeMatch(type, p));
}

/** The file chooser's `accept` attribute for the rules. */
export function acceptAttribute(accept: UploadRules["accept"]): string {
  if (!accept) return "";
  const parts = Array.isArray(accept)
    ? accept.map(String)
    : Object.entries(accept).flatMap(([mime, exts]) => [mime, ...(Array.isArray(exts) ? exts.map(String) : [])]);
  return parts.includes("*/*") || parts.includes("*") ? "" : parts.join(",");
}

/** Why a file breaks the rules, or "" when it does not. */
export function checkFile(file: File, rules: UploadRules, labels: Labels): string {
  const maxMb = Number(rules.max_size_mb ?? 2);
  if (file.size > maxMb * 1024 * 1024) return fill(labels.tooLarge, { name: file.name, size: maxMb });
  if (!accepts(rules.accept, file.name, file.type)) return fill(labels.notAccepted, { name: file.name });
  return "";
}

export interface UploadHandle {
  readonly file: File;
  /** Resolves with the upload id, or rejects with the reason. */
  readonly done: Promise<string>;
  abort(): void;
}

/** Upload one file in chunks; `progress` gets the fraction sent. */
export function upload(store: ChatStore, file: File, purpose: string | undefined, progress: (f: number) => void): UploadHandle {
  let aborted = false;
  let uploadId = "";
  const done = (async () => {
    const fields: Requests["upload_start"] = { name: file.name, mime: file.type || "application/octet-stream", size: file.size };
    if (purpose) fields.for = purpose;
    const start = await store.request(UPLOAD_START, fields);
    if (!start.ok) throw new Error(start.error?.message || "upload refused");
    const result = start.result as { upload: string; chunk_bytes?: number };
    uploadId = result.upload;
    if (aborted) {
      void store.request(UPLOAD_ABORT, { upload: uploadId });
      throw new Error("aborted");
    }
    // The kernel names the chunk size; never one so big that the server's websocket drops it.
    const step = Math.min(MAX_REQUEST_BYTES / 4, Math.max(1024, Number(result.chunk_bytes) || 512 * 1024));
    for (let offset = 0; offset < file.size; offset += step) {
      if (aborted) throw new Error("aborted");
      const buffer = await file.slice(offset, offset + step).arrayBuffer();
      const reply = await store.request(UPLOAD_CHUNK, { upload: uploadId, offset }, [buffer]);
      if (!reply.ok) throw new Error(reply.error?.message || "upload failed");
      progress(Math.min(1, (offset + buffer.byteLength) / Math.max(1, file.size)));
    }
    if (aborted) throw new Error("aborted");
    const end = await store.request(UPLOAD_END, { upload: uploadId });
    if (!end.ok) throw new Error(end.error?.message || "upload failed");
    progress(1);
    return uploadId;
  })();
  return {
    file,
    done,
    abort() {
      if (aborted) return;
      aborted = true;
      if (uploadId) void store.request(UPLOAD_ABORT, { upload: uploadId });
    },
  };
}
