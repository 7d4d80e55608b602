/** Types faxgate renders itself (MuPDF, sharp, the fax TIFF reader, the text and HTML layout). */
const NATIVE = new Set([
  'application/pdf', 'application/xps', 'application/oxps', 'application/vnd.ms-xpsdocument', 'application/epub+zip',
  'image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'image/x-ms-bmp', 'image/webp', 'image/tiff', 'image/svg+xml', 'image/avif', 'image/heic', 'image/heif',
  'text/plain', 'text/html', 'message/rfc822',
]);

/** Office formats LibreOffice converts to PDF when it is installed and enabled. */
export const OFFICE_TYPES = new Set([
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint',
  'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet', 'application/vnd.oasis.opendocument.presentation',
  'application/rtf', 'text/rtf',
]);

const BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', bmp: 'image/bmp', webp: 'image/webp',
  tif: 'image/tiff', tiff: 'image/tiff', svg: 'image/svg+xml', avif: 'image/avif', heic: 'image/heic',
  txt: 'text/plain', log: 'text/plain', csv: 'text/plain', htm: 'text/html', html: 'text/html', eml: 'message/rfc822',
  xps: 'application/xps', oxps: 'application/oxps', epub: 'application/epub+zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  doc: 'application/msword', xls: 'application/vnd.ms-excel', ppt: 'application/vnd.ms-powerpoint',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet', odp: 'application/vnd.oasis.opendocument.presentation',
  rtf: 'application/rtf',
};

/**
 * Signatures of signed mail (S/MIME, OpenPGP) are not content: faxing a notice page for each
 * would only puzzle the recipient.
 */
export const SIGNATURE_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature', 'application/pgp-signature']);

/** Other text (CSV, calendar invitations, vCards, Markdown, logs) is faxed as plain text. */
export function isOtherText(type: string): boolean {
  return type.startsWith('text/') && type !== 'text/plain' && type !== 'text/html' && type !== 'text/rtf';
}

/** Normalised content type of a part: declared type, or the file name's when the type is generic. */
export function contentTypeOf(declared: string | undefined, filename: string | undefined): string {
  const type = (declared ?? 'application/octet-stream').toLowerCase().split(';')[0].trim();
  const ext = (filename ?? '').toLowerCase().split('.').pop() ?? '';
  if (NATIVE.has(type) || OFFICE_TYPES.has(type)) return type === 'image/x-ms-bmp' ? 'image/bmp' : type;
  if (['application/octet-stream', 'application/x-download', 'binary/octet-stream', 'application/force-download'].includes(type) && BY_EXTENSION[ext]) {
    return BY_EXTENSION[ext];
  }
  return type;
}

export function isNative(type: string): boolean {
  return NATIVE.has(type);
}

export function isOffice(type: string): boolean {
  return OFFICE_TYPES.has(type);
}
