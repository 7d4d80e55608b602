export * from './errors.ts';
export * from './client.ts';
export * from './submit.ts';
export * from './job-state.ts';
export * from './job-description.ts';
export * from './job-list.ts';
export * from './recv-list.ts';
export * from './received-tiff.ts';
export type { Reply } from './reply-parser.ts';
