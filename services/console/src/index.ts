export { consoleRole } from './console-role.ts';
export { consoleSchema } from './config.ts';
