import { runMain } from '@faxgate/runtime';
import { renderRole } from './render-role.ts';

await runMain([renderRole]);
