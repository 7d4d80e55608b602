// Minimal PDF 1.4 writer for fax pages: one CCITTFaxDecode image per page (ISO 32000-1 §7.4.6).

export interface PdfFaxImage {
  width: number;
  height: number;
  xDpi: number;
  yDpi: number;
  /** CCITT data, MSB first. */
  data: Uint8Array;
  /** ISO 32000-1 Table 11: K < 0 = T.6, 0 = T.4 1-D, > 0 = T.4 mixed 1-D/2-D. */
  k: number;
  /** EOLs present (required for K > 0 data from T.4 files, which carry them). */
  endOfLine: boolean;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '');
}

/** Writes a PDF whose page i shows image i at its physical size (width / xDpi inches). */
export function writeFaxPdf(images: PdfFaxImage[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const offsets: number[] = [];
  const enc = new TextEncoder();
  const push = (b: Uint8Array | string) => {
    const bytes = typeof b === 'string' ? enc.encode(b) : b;
    chunks.push(bytes);
    size += bytes.length;
  };
  const object = (id: number, body: string, stream?: Uint8Array) => {
    offsets[id] = size;
    push(`${id} 0 obj\n${body}\n`);
    if (stream) {
      push('stream\n');
      push(stream);
      push('\nendstream\n');
    }
    push('endobj\n');
  };
  // Binary comment marks the file as binary for transfer programs (ISO 32000-1 §7.5.2).
  push('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  const pageIds = images.map((_, i) => 3 + i * 3);
  object(1, '<< /Type /Catalog /Pages 2 0 R >>');
  object(2, `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${images.length} >>`);
  images.forEach((img, i) => {
    const id = pageIds[i];
    const w = (img.width / img.xDpi) * 72;
    const h = (img.height / img.yDpi) * 72;
    const content = enc.encode(`q ${fmt(w)} 0 0 ${fmt(h)} 0 0 cm /Im0 Do Q\n`);
    object(id, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${fmt(w)} ${fmt(h)}] /Resources << /XObject << /Im0 ${id + 2} 0 R >> >> /Contents ${id + 1} 0 R >>`);
    object(id + 1, `<< /Length ${content.length} >>`, content);
    // BlackIs1 false: the filter yields 0 for black, which is black in DeviceGray.
    const parms = `<< /K ${img.k} /Columns ${img.width} /Rows ${img.height} /BlackIs1 false /EndOfBlock false${img.endOfLine ? ' /EndOfLine true' : ''} >>`;
    object(id + 2, `<< /Type /XObject /Subtype /Image /Width ${img.width} /Height ${img.height} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms ${parms} /Length ${img.data.length} >>`, img.data);
  });
  const xref = size;
  const count = 3 + images.length * 3;
  let table = `xref\n0 ${count}\n0000000000 65535 f \n`;
  for (let id = 1; id < count; id++) table += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  push(table);
  push(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(size);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
