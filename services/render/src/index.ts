export { renderRole } from './render-role.ts';
export { renderSchema } from './config.ts';
