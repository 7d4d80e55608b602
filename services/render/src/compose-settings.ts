import type { ComposeSettings, RenderSandbox } from '@faxgate/render';
// Not the barrel: `faxgate render` of a PDF then loads no mail parser (issue 18).
import { defaultPaperFor } from '@faxgate/render/documents';
// Not the directory's barrel: that brings BullMQ, which `faxgate render` does not need.
import { directorySenderLookup } from '@faxgate/directory/sender-details';
import type { RenderConfig } from './config.ts';

/**
 * What the render settings are, from the role's configuration: the gateway's and the preview's
 * (`faxgate render`) alike, so the preview is what the gateway sends.
 */
export function composeSettings(config: RenderConfig, sandbox?: RenderSandbox, log?: { warn(fields: object, msg: string): void }): ComposeSettings {
  return {
    resolution: config.FAXGATE_RESOLUTION,
    paper: config.FAXGATE_PAPER === 'auto' ? defaultPaperFor(config.FAXGATE_DEFAULT_COUNTRY) : config.FAXGATE_PAPER,
    paperAuto: config.FAXGATE_PAPER === 'auto',
    longPages: config.FAXGATE_LONG_PAGES,
    limits: { maxPages: config.FAXGATE_RENDER_MAX_PAGES, maxPixels: config.FAXGATE_RENDER_MAX_PIXELS },
    office: config.FAXGATE_RENDER_OFFICE,
    officeTimeoutMs: config.FAXGATE_RENDER_TIMEOUT,
    photoDither: config.FAXGATE_RENDER_PHOTO_DITHER,
    sandbox,
    preferHtml: config.FAXGATE_RENDER_PREFER === 'html',
    cover: config.FAXGATE_COVER_PAGE,
    coverKeyword: config.FAXGATE_COVER_KEYWORD,
    coverTemplateDir: config.FAXGATE_COVER_TEMPLATE_DIR,
    coverTemplates: config.FAXGATE_COVER_TEMPLATES,
    senderDirectory: config.FAXGATE_SENDER_DIRECTORY,
    tagline: config.FAXGATE_TAGLINE,
    stationId: config.FAXGATE_STATION_ID,
    timeZone: config.FAXGATE_COVER_TIMEZONE,
    coverNotice: config.FAXGATE_COVER_NOTICE,
    senderDetails: directorySenderLookup(config.FAXGATE_DIRECTORY, (err) => log?.warn({ path: config.FAXGATE_DIRECTORY, err: err.message }, 'directory unreadable: covers go without the sender\'s phone and fax')),
  };
}
