// TIFF-F → PDF for fax-to-email: the page's CCITT data goes into the PDF as it is.
import { REVERSED_BITS } from './bit-writer.ts';
import { writeFaxPdf, type PdfFaxImage } from './pdf-write.ts';
import { encodeFax } from './t4-encode.ts';
import { readTiff, type TiffPageRaw } from './tiff-read.ts';
import { COMPRESSION, T4_2D } from './tiff-tags.ts';

function embeddable(p: TiffPageRaw): boolean {
  if (p.strips.length !== 1 || p.photometric !== 0 || p.rowsPerStrip < p.height) return false;
  if (p.compressionCode !== COMPRESSION.t4 && p.compressionCode !== COMPRESSION.t6) return false;
  // A PDF reader has no tolerant decoder: damaged or short data is re-coded from our repair.
  const { badRows } = p.decodeWithStats();
  return badRows === 0;
}

/** The page as a PDF image: its own CCITT data when clean, else re-coded as MMR. */
export function pageToPdfImage(p: TiffPageRaw): PdfFaxImage {
  const base = { width: p.width, height: p.height, xDpi: p.xDpi, yDpi: p.yDpi };
  if (embeddable(p)) {
    const strip = p.strips[0];
    const data = p.fillOrder === 2 ? strip.map((b) => REVERSED_BITS[b]) : strip;
    if (p.compressionCode === COMPRESSION.t6) return { ...base, data, k: -1, endOfLine: false };
    // K > 0 only says "mixed": the tag bit after each EOL decides, so any positive K fits every MR file.
    return { ...base, data, k: p.t4Options & T4_2D ? Math.max(1, p.height) : 0, endOfLine: true };
  }
  return { ...base, data: encodeFax(p.decode(), { compression: 'mmr' }), k: -1, endOfLine: false };
}

/** PDF with each page's CCITT data embedded as is (/CCITTFaxDecode), page size from the resolution. */
export function tiffToPdf(data: Uint8Array): Uint8Array {
  const pages = readTiff(data);
  if (pages.length === 0) throw new Error('TIFF has no pages');
  return writeFaxPdf(pages.map(pageToPdfImage));
}
