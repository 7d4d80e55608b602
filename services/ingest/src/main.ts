import { runMain } from '@faxgate/runtime';
import { ingestRole } from './ingest-role.ts';

await runMain([ingestRole]);
