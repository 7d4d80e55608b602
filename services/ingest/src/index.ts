export { ingestRole } from './ingest-role.ts';
export { ingestSchema, type IngestConfig } from './config.ts';
