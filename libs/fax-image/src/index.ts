// @faxgate/fax-image: T.4 / T.6 codecs, TIFF Class F, TIFF → PDF.
export { type Bitmap, createBitmap, getPixel, setPixel, bitmapFromGray, bitmapsEqual, firstDifference } from './bitmap.ts';
export { type FaxCompression, type BitOrder, type FaxEncodeOptions, type RowSource, SAME_ROW, encodeFax, encodeFaxRows } from './t4-encode.ts';
export {
  type FaxDecodeOptions, type FaxDecodeResult, type FaxDecodeStats, type RowSink, decodeFax, decodeFaxRows,
} from './t4-decode.ts';
export { rowChanges, rowChangesWords, paintRow } from './changes.ts';
export { reverseBits } from './bit-writer.ts';
export { type FaxPage, writeTiff, sliceTiff, joinTiffSlices, defaultK, faxPageToRaw } from './tiff-fax.ts';
export { type TiffPageInfo, type TiffPage, type TiffPageRaw, readTiff, checkFaxPageSize, FAX_PAGE_LIMITS } from './tiff-read.ts';
export { type RawTiffPage, writeTiffRaw } from './tiff-write.ts';
export { tiffToPdf } from './tiff-to-pdf.ts';
export { previewPng, PREVIEW_DPI } from './preview-png.ts';
export {
  VERTICAL_DPI, FAX_WIDTHS, FAX_X_DPI, type VerticalResolution, type FaxWidth, resolutionName, changeVerticalResolution, changeWidth, transcodeFax,
} from './convert.ts';
export { type ConvertOptions, convertTiff } from './tiff-convert.ts';
export { type CliIo, tiffCli } from './cli.ts';
