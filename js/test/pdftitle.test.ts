import { describe, expect, it } from "vitest";
import { lastTrailer, pdfTextString, withPdfTitle } from "../src/pdftitle";

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const dec = (b: Uint8Array) => String.fromCharCode(...b);

/** A one-page PDF with a classic cross-reference table. */
function classicPdf(extraTrailer = ""): Uint8Array {
  const objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 3\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size 3 /Root 1 0 R${extraTrailer} >>\nstartxref\n${xref}\n%%EOF\n`;
  return enc(out);
}

/** The same with a cross-reference stream (PDF 1.5), uncompressed. */
function streamPdf(): Uint8Array {
  let out = "%PDF-1.5\n";
  const offsets = [out.length];
  out += "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
  offsets.push(out.length);
  out += "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n";
  const xref = out.length;
  const rows = [[0, 0, 0xffff], [1, offsets[0], 0], [1, offsets[1], 0], [1, xref, 0]];
  const data = rows.map(([t, o, g]) => String.fromCharCode(t, (o >> 24) & 255, (o >> 16) & 255, (o >> 8) & 255, o & 255, g >> 8, g & 255)).join("");
  out += `3 0 obj\n<< /Type /XRef /Size 4 /Root 1 0 R /W [1 4 2] /Length ${data.length} >>\nstream\n${data}\nendstream\nendobj\n`;
  out += `startxref\n${xref}\n%%EOF\n`;
  return enc(out);
}

function newestSection(text: string): { at: number; body: string } {
  const m = /startxref\n(\d+)\n%%EOF\n$/.exec(text);
  expect(m).not.toBeNull();
  const at = Number(m?.[1]);
  return { at, body: text.slice(at) };
}

describe("a PDF titled for the viewer", () => {
  it("keeps the original bytes and appends an info object, a table and a trailer", () => {
    const original = classicPdf();
    const titled = withPdfTitle(original, "Quarterly report");
    expect(titled.subarray(0, original.length)).toEqual(original);
    const text = dec(titled);
    const { body } = newestSection(text);
    expect(body.startsWith("xref\n3 1\n")).toBe(true);
    const infoAt = Number(/xref\n3 1\n(\d{10}) 00000 n \n/.exec(body)?.[1]);
    expect(text.slice(infoAt).startsWith(`3 0 obj\n<< /Title ${pdfTextString("Quarterly report")} >>`)).toBe(true);
    expect(body).toContain(`/Size 4 /Root 1 0 R /Info 3 0 R /Prev ${lastTrailer(original)?.offset}`);
    expect(lastTrailer(titled)).toMatchObject({ stream: false, root: "1 0 R", size: 4 });
  });

  it("updates a file with cross-reference streams with one", () => {
    const original = streamPdf();
    expect(lastTrailer(original)).toMatchObject({ stream: true, root: "1 0 R", size: 4 });
    const titled = withPdfTitle(original, "Été ☃ 📄");
    const text = dec(titled);
    const { at, body } = newestSection(text);
    expect(body.startsWith("5 0 obj\n<< /Type /XRef /Size 6 /Root 1 0 R /Info 4 0 R")).toBe(true);
    const rows = titled.subarray(at + body.indexOf("stream\n") + 7, at + body.indexOf("stream\n") + 21);
    const view = new DataView(rows.buffer, rows.byteOffset, 14);
    const infoAt = view.getUint32(1);
    expect(rows[0]).toBe(1);
    expect(view.getUint32(8)).toBe(at);
    expect(text.slice(infoAt).startsWith("4 0 obj\n<< /Title <FEFF00C9")).toBe(true);
  });

  it("leaves alone what it cannot read safely", () => {
    const encrypted = classicPdf(" /Encrypt 9 0 R");
    expect(withPdfTitle(encrypted, "x")).toBe(encrypted);
    const junk = enc("not a pdf at all");
    expect(withPdfTitle(junk, "x")).toBe(junk);
    const lying = enc("%PDF-1.4\nstartxref\n999999\n%%EOF\n");
    expect(withPdfTitle(lying, "x")).toBe(lying);
    expect(withPdfTitle(classicPdf(), "")).toEqual(classicPdf());
  });

  it("writes any text as UTF-16BE hex", () => {
    expect(pdfTextString("A)")).toBe("<FEFF00410029>");
    expect(pdfTextString("📄")).toBe("<FEFFD83DDCC4>");
  });
});
