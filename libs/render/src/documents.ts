// Documents to fax pages without the mail side (mail parser, covers, the sender directory) or
// sharp: what `faxgate render` needs for a PDF or an image, so its first page does not wait for
// modules only mails use (issue 18). The gateway's roles use the package's main entry.
export { renderDocuments, type RenderOptions, type RenderedDocument } from './render-fax.ts';
export { contentTypeOf } from './document-types.ts';
export { defaultPaperFor } from './page-geometry.ts';
