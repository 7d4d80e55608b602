// `@faxgate/render/config`: the defaults and fields the render service's config schema needs,
// without the rendering engine. The CLI and every process validate runtime settings with that
// schema, and importing it must not start MuPDF, sharp or the sandbox (issue 18's fixed cost).
export { DEFAULT_COVER_NOTICE } from './cover-page.ts';
export { coverTemplatesField } from './cover-templates.ts';
export { DEFAULT_TAGLINE } from './tagline.ts';
export { DEFAULT_PHOTO_DITHER, PHOTO_DITHERS, type PhotoDither } from './photo-dither.ts';
