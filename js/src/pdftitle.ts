// A PDF as the viewer gets it, titled with the element's name. Chromium's PDF viewer shows a
// document's metadata title, else the last part of its URL: for a Blob URL that is a random
// id. So the copy given to the viewer carries the name as its /Title, added the way PDF
// editors add changes, as an incremental update: a new info object, a cross-reference
// section for it and a trailer are appended; the original bytes are kept as they are (and a
// download gets the original file). A file this cannot read (no trailer, encrypted, damaged)
// is shown unchanged.

/** The end of a file holds `startxref`; a cross-reference section larger than this is left alone. */
const TAIL = 2048;
const MAX_SECTION = 8 * 1024 * 1024;

function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** A PDF text string that holds any characters: UTF-16BE with a byte order mark, in hex. */
export function pdfTextString(text: string): string {
  let hex = "FEFF";
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, "0").toUpperCase();
  return `<${hex}>`;
}

interface Trailer {
  offset: number; // where the last cross-reference section starts
  stream: boolean; // a cross-reference stream (PDF 1.5), not a table
  root: string;
  size: number;
}

/** What the newest trailer says, or null when the file cannot be updated safely. */
export function lastTrailer(bytes: Uint8Array): Trailer | null {
  const tailStart = Math.max(0, bytes.length - TAIL);
  const tail = latin1(bytes.subarray(tailStart));
  const at = tail.lastIndexOf("startxref");
  if (at < 0) return null;
  const m = /^startxref\s+(\d+)/.exec(tail.slice(at));
  if (!m) return null;
  const offset = Number(m[1]);
  const end = tailStart + at;
  if (!Number.isSafeInteger(offset) || offset <= 0 || offset >= end || end - offset > MAX_SECTION) return null;
  const section = latin1(bytes.subarray(offset, end));
  const stream = !section.startsWith("xref");
  let dict: string;
  if (stream) {
    if (!/^\d+\s+\d+\s+obj\b/.test(section)) return null;
    const body = section.indexOf("stream");
    if (body < 0) return null;
    dict = section.slice(0, body);
    if (!/\/Type\s*\/XRef\b/.test(dict)) return null;
  } else {
    const t = section.lastIndexOf("trailer");
    if (t < 0) return null;
    dict = section.slice(t);
  }
  if (/\/Encrypt\b/.test(dict)) return null; // its strings would have to be encrypted too
  const root = /\/Root\s+(\d+\s+\d+\s+R)\b/.exec(dict);
  const size = /\/Size\s+(\d+)/.exec(dict);
  if (!root || !size) return null;
  return { offset, stream, root: root[1].replace(/\s+/g, " "), size: Number(size[1]) };
}

function entry(offset: number): string {
  return `${String(offset).padStart(10, "0")} 00000 n \n`;
}

/** `bytes` with `title` as the document's title, or `bytes` itself when that cannot be done. */
export function withPdfTitle(bytes: Uint8Array, title: string): Uint8Array {
  const trailer = title ? lastTrailer(bytes) : null;
  if (!trailer) return bytes;
  const n = trailer.size;
  const sep = bytes[bytes.length - 1] === 0x0a ? "" : "\n";
  const infoAt = bytes.length + sep.length;
  const info = `${n} 0 obj\n<< /Title ${pdfTextString(title)} >>\nendobj\n`;
  const sectionAt = infoAt + info.length;
  const parts: Uint8Array[] = [bytes, ascii(sep + info)];
  if (!trailer.stream) {
    parts.push(
      ascii(
        `xref\n${n} 1\n${entry(infoAt)}trailer\n<< /Size ${n + 1} /Root ${trailer.root} /Info ${n} 0 R ` +
          `/Prev ${trailer.offset} >>\nstartxref\n${sectionAt}\n%%EOF\n`,
      ),
    );
  } else {
    // A file with cross-reference streams is updated with one: entries of 1 + 4 + 2 bytes
    // (type 1, offset, generation 0) for the info object and the stream itself.
    const rows = new Uint8Array(14);
    [infoAt, sectionAt].forEach((offset, i) => {
      rows[i * 7] = 1;
      new DataView(rows.buffer).setUint32(i * 7 + 1, offset);
    });
    parts.push(
      ascii(
        `${n + 1} 0 obj\n<< /Type /XRef /Size ${n + 2} /Root ${trailer.root} /Info ${n} 0 R /Prev ${trailer.offset} ` +
          `/Index [${n} 2] /W [1 4 2] /Length ${rows.length} >>\nstream\n`,
      ),
      rows,
      ascii(`\nendstream\nendobj\nstartxref\n${sectionAt}\n%%EOF\n`),
    );
  }
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
