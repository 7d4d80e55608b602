export { z } from 'zod';
export * from './env-types.ts';
export * from './load-config.ts';
export * from './base-config.ts';
export * from './known-variables.ts';
export * from './derived.ts';
