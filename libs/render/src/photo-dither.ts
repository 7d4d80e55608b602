/**
 * How photo regions of a page become black and white (FAXGATE_RENDER_PHOTO_DITHER): a
 * clustered-dot halftone screen (halftone.ts) or serpentine Floyd–Steinberg error diffusion
 * (bilevel.ts). Text and line art are thresholded either way; the classifier decides which is
 * which. Its own module so the config schema names the choices without loading the renderer.
 */
export const PHOTO_DITHERS = ['halftone', 'diffusion'] as const;
export type PhotoDither = (typeof PHOTO_DITHERS)[number];
/**
 * The screen by default: on the grey photo page it codes to a quarter of the diffusion's MMR
 * bytes (fewer than Ghostscript's tiffg4) for a quarter of the CPU, with less tone error
 * (docs/performance.md, Render, "Photo dither").
 */
export const DEFAULT_PHOTO_DITHER: PhotoDither = 'halftone';
