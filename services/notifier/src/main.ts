import { runMain } from '@faxgate/runtime';
import { notifierRole } from './notifier-role.ts';

await runMain([notifierRole]);
