export * from './free-port.ts';
export * from './temp-dir.ts';
export * from './redis-server.ts';
export * from './smtp-sink.ts';
export * from './wait-until.ts';
export * from './smtp-dialogue.ts';
export * from './fax-judges.ts';
export * from './gateway-env.ts';
