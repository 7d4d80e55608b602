export { dispatchRole } from './dispatch-role.ts';
export { dispatchSchema } from './config.ts';
