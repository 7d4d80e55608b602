// The faxgate command's entry (./faxgate runs it): plain JavaScript, so Node turns its compile
// cache on before it loads its TypeScript stripper, which alone costs about as much as starting
// Node (issue 18: `faxgate --help` took 0.3 s, 0.13-0.19 s with the cache, on a loaded machine).
// The cache keeps the stripped and compiled code per user, checked against each file's content.
// `faxgate run` does without it: four roles took 13 s to start with a warm cache and 20 s with a
// cold one, against 7 s without, and a role runs for days once started. Processes the CLI starts
// (render's sandbox) do not inherit it: it is turned on here, not through NODE_COMPILE_CACHE.
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

if (process.argv[2] !== 'run' && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  enableCompileCache(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'faxgate', 'node-compile-cache'));
}
await import('../src/main.ts');
