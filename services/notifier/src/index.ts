export { notifierRole } from './notifier-role.ts';
export { notifierSchema } from './config.ts';
