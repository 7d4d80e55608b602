// TIFF 6.0 tag numbers used by Class F (TIFF-F, RFC 2306) and the field types we read and write.

export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  FillOrder: 266,
  StripOffsets: 273,
  Orientation: 274,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  T4Options: 292,
  T6Options: 293,
  ResolutionUnit: 296,
  PageNumber: 297,
  Predictor: 317,
  Software: 305,
  BadFaxLines: 326,
  CleanFaxData: 327,
  ConsecutiveBadFaxLines: 328,
} as const;

export const TYPE = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5 } as const;
export const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };

export const COMPRESSION = { none: 1, ccittrle: 2, t4: 3, t6: 4, lzw: 5, adobeDeflate: 8, deflate: 32946, packbits: 32773 } as const;

/** TIFF T4Options bits (TIFF 6.0 §11). */
export const T4_2D = 1;
export const T4_UNCOMPRESSED = 2;
export const T4_FILL = 4;
