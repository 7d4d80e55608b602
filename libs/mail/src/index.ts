export * from './mailer.ts';
export * from './compose-message.ts';
