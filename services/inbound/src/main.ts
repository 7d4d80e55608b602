import { runMain } from '@faxgate/runtime';
import { inboundRole } from './inbound-role.ts';

await runMain([inboundRole]);
