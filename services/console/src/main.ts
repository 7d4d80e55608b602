import { runMain } from '@faxgate/runtime';
import { consoleRole } from './console-role.ts';

await runMain([consoleRole]);
