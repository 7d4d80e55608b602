import { z, bool, int, sharedFields } from '@faxgate/config';

export const renderSchema = z.object({
  FAXGATE_DEFAULT_COUNTRY: sharedFields.FAXGATE_DEFAULT_COUNTRY,
  FAXGATE_RESOLUTION: z.enum(['fine', 'standard']).default('fine').describe('Vertical resolution of rendered faxes: fine (196 lpi) or standard (98 lpi).'),
  FAXGATE_PAPER: z.enum(['auto', 'a4', 'letter']).default('auto').describe('Page size documents are laid out on; auto picks Letter or A4 from FAXGATE_DEFAULT_COUNTRY.'),
  FAXGATE_COVER_PAGE: bool(true).describe('Put a cover page in front of every fax.'),
  FAXGATE_COVER_TIMEZONE: z.string().default('UTC').describe('Time zone of the date on cover pages (IANA name, e.g. America/New_York).'),
  FAXGATE_RENDER_CONCURRENCY: int(1, 1, 64).describe('Messages one render process works on at once (rendering is CPU-bound: about one per core).'),
});
export type RenderConfig = z.output<typeof renderSchema>;
