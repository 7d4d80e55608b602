import { runMain } from '@faxgate/runtime';
import { dispatchRole } from './dispatch-role.ts';

await runMain([dispatchRole]);
