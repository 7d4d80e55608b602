// Page conversions a fax gateway needs: vertical resolution, paper width, coding scheme.
import { createBitmap, type Bitmap } from './bitmap.ts';
import { paintRow, rowChanges } from './changes.ts';
import { decodeFaxRows, type FaxDecodeOptions, type FaxDecodeStats } from './t4-decode.ts';
import { encodeFaxRows, type FaxEncodeOptions } from './t4-encode.ts';

/** T.4 §2.3 vertical resolutions in dpi: 3.85, 7.7 and 15.4 lines/mm. */
export const VERTICAL_DPI = { standard: 98, fine: 196, superfine: 391 } as const;
export type VerticalResolution = keyof typeof VERTICAL_DPI;

/** T.4 §2.2: horizontal resolution of the fax line, 8 pels/mm. */
export const FAX_X_DPI = 204;

/** T.4 §2.2 scan-line lengths at 8 pels/mm: A4 215 mm, B4 255 mm, A3 303 mm. */
export const FAX_WIDTHS = { a4: 1728, b4: 2048, a3: 2432 } as const;
export type FaxWidth = keyof typeof FAX_WIDTHS;

/** The named resolution nearest to a dpi value (98 → standard, 196 → fine, 391/392/400 → superfine). */
export function resolutionName(yDpi: number): VerticalResolution {
  if (yDpi < 147) return 'standard';
  if (yDpi < 293) return 'fine';
  return 'superfine';
}

/**
 * Changes vertical resolution. Between fax resolutions (a power of two apart, within 3 %) going up
 * repeats rows and going down ORs each group of rows, so one-pixel horizontal strokes survive (as
 * fax machines do when they reduce); other ratios (a 300 dpi scan to fine) map each new row to
 * the source rows it covers, ORed likewise.
 */
export function changeVerticalResolution(b: Bitmap, fromYDpi: number, toYDpi: number): Bitmap {
  const ratio = toYDpi / fromYDpi;
  const steps = Math.round(Math.log2(ratio));
  const { stride, data } = b;
  if (Math.abs(ratio / 2 ** steps - 1) > 0.03) {
    const out = createBitmap(b.width, Math.max(1, Math.round(b.height * ratio)));
    for (let y = 0; y < out.height; y++) {
      const first = Math.min(b.height - 1, Math.floor(y / ratio));
      const last = Math.max(first + 1, Math.min(b.height, Math.floor((y + 1) / ratio)));
      const dst = y * stride;
      for (let sy = first; sy < last; sy++) {
        const src = sy * stride;
        for (let i = 0; i < stride; i++) out.data[dst + i] |= data[src + i];
      }
    }
    return out;
  }
  if (steps === 0) return b;
  if (steps > 0) {
    const f = 1 << steps;
    const out = createBitmap(b.width, b.height * f);
    for (let y = 0; y < b.height; y++) {
      const row = data.subarray(y * stride, (y + 1) * stride);
      for (let k = 0; k < f; k++) out.data.set(row, (y * f + k) * stride);
    }
    return out;
  }
  const f = 1 << -steps;
  const out = createBitmap(b.width, Math.ceil(b.height / f));
  for (let y = 0; y < b.height; y++) {
    const src = y * stride;
    const dst = Math.floor(y / f) * stride;
    for (let i = 0; i < stride; i++) out.data[dst + i] |= data[src + i];
  }
  return out;
}

/**
 * Fits a page to another scan-line width. 'centre' pads with white or crops both sides equally
 * (for pages already at the right scale, e.g. A4 content on a B4 line); 'scale' resizes to
 * `height` rows (default: the width ratio, keeping the aspect), keeping every black run at least
 * one pixel wide and ORing rows that merge, so thin strokes survive an A3 → A4 reduction.
 */
export function changeWidth(b: Bitmap, width: number, mode: 'centre' | 'scale' = 'scale', height?: number): Bitmap {
  if (width === b.width && (mode === 'centre' || height === undefined || height === b.height)) return b;
  const src = new Int32Array(b.width + 8);
  if (mode === 'centre') {
    const shift = Math.floor((width - b.width) / 2);
    const out = createBitmap(width, b.height);
    const dst = new Int32Array(width + 8);
    for (let y = 0; y < b.height; y++) {
      const n = rowChanges(b.data, y * b.stride, b.width, src);
      let m = 0;
      // Shift runs; clip those falling outside the new width.
      for (let k = 0; k < n; k += 2) {
        const a = Math.max(0, src[k] + shift);
        const e = Math.min(width, (k + 1 < n ? src[k + 1] : b.width) + shift);
        if (a < e) {
          dst[m++] = a;
          dst[m++] = e;
        }
      }
      paintRow(out.data, y * out.stride, width, dst, m);
    }
    return out;
  }
  const s = width / b.width;
  const rows = height ?? Math.max(1, Math.round(b.height * s));
  const sy = rows / b.height;
  const out = createBitmap(width, rows);
  const dst = new Int32Array(width + 8);
  const tmp = createBitmap(width, 1);
  for (let y = 0; y < b.height; y++) {
    const n = rowChanges(b.data, y * b.stride, b.width, src);
    let m = 0;
    for (let k = 0; k < n; k += 2) {
      let a = Math.floor(src[k] * s);
      let e = Math.floor((k + 1 < n ? src[k + 1] : b.width) * s);
      if (e <= a) e = a + 1;
      if (a >= width) a = width - 1;
      if (e > width) e = width;
      // Runs that touch after scaling merge (a list must stay increasing).
      if (m > 0 && a <= dst[m - 1]) dst[m - 1] = Math.max(dst[m - 1], e);
      else {
        dst[m++] = a;
        dst[m++] = e;
      }
    }
    tmp.data.fill(0);
    paintRow(tmp.data, 0, width, dst, m);
    const first = Math.floor(y * sy);
    const last = Math.max(first, Math.floor((y + 1) * sy) - 1);
    for (let yy = first; yy <= last && yy < rows; yy++) {
      const o = yy * out.stride;
      for (let i = 0; i < out.stride; i++) out.data[o + i] |= tmp.data[i];
    }
  }
  return out;
}

/**
 * Re-codes fax data from one scheme or form to another (MH ↔ MR ↔ MMR, line ↔ file forms,
 * bit orders) row by row through changing-element lists, without painting a bitmap.
 * Damaged rows come out as their repaired versions; `stats` reports them.
 */
export function transcodeFax(data: Uint8Array, from: FaxDecodeOptions, to: FaxEncodeOptions): { data: Uint8Array; stats: FaxDecodeStats } {
  const rows: Int32Array[] = [];
  const stats = decodeFaxRows(data, from, (changes, n) => {
    rows.push(changes.slice(0, n));
  });
  const out = encodeFaxRows(from.width, rows.length, (y, dst) => {
    const row = rows[y];
    dst.set(row);
    return row.length;
  }, to);
  return { data: out, stats };
}
