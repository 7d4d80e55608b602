export * from './runtime-settings.ts';
export * from './setting-validation.ts';
export * from './settings-store.ts';
export * from './live-settings.ts';
export * from './settings-yaml.ts';
export * from './map-setting-entry.ts';
export * from './dial-dry-run.ts';
