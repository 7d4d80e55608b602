import { runMain } from '@faxgate/runtime';
import { nodeRole } from './node-role.ts';

await runMain([nodeRole]);
