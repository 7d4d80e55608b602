export * from './page-geometry.ts';
export * from './gray-page.ts';
export * from './mupdf-engine.ts';
export * from './text-document.ts';
export * from './cover-page.ts';
export * from './mail-parts.ts';
export * from './render-fax.ts';
