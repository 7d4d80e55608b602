// Loaded with `node --import` by cli-startup.test.ts: writes the URL of every module the process
// loaded (ES modules and require()d CommonJS alike, through Node's synchronous module hooks) to
// the file named by FAXGATE_TEST_MODULES_OUT when the process exits.
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';

const out = process.env.FAXGATE_TEST_MODULES_OUT;
if (!out) throw new Error('module-recorder: FAXGATE_TEST_MODULES_OUT names no file');
const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(out, `${loaded.join('\n')}\n`));
