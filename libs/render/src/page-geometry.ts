/**
 * Fax page geometry. T.4 §2.2 fixes the scan line of an A4/Letter fax at 1728 pels over
 * 215 mm (≈204 dpi horizontally); vertically 3.85 lines/mm (standard, ≈98 lpi) or 7.7 lines/mm
 * (fine, ≈196 lpi).
 */
export const FAX_WIDTH_PX = 1728;
export const FAX_X_DPI = 204;
export type VerticalResolution = 'fine' | 'standard';
export const Y_DPI: Record<VerticalResolution, number> = { fine: 196, standard: 98 };

export type PaperSize = 'a4' | 'letter';
/** Paper in PostScript points (1/72 in). */
export const PAPER_PT: Record<PaperSize, { width: number; height: number }> = {
  a4: { width: 595.28, height: 841.89 },
  letter: { width: 612, height: 792 },
};

/** Letter in the NANP countries and a few others that use it; A4 everywhere else. */
export function defaultPaperFor(country: string): PaperSize {
  return ['US', 'CA', 'MX', 'PH', 'CL', 'CO', 'VE', 'GT', 'PR', 'DO', 'CR', 'PA', 'SV'].includes(country.toUpperCase()) ? 'letter' : 'a4';
}

/** The layout width in points that maps exactly onto 1728 pels at 204 dpi. */
export const FAX_WIDTH_PT = (FAX_WIDTH_PX * 72) / FAX_X_DPI;
