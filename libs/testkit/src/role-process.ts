import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort } from './free-port.ts';
import { waitUntil } from './wait-until.ts';

const root = resolve(import.meta.dirname, '../../..');

/** One `faxgate run <roles>` process, started the way a pod starts it. */
export interface RoleProcess {
  roles: string[];
  child: ChildProcess;
  httpPort: number;
  /** Everything it wrote to stdout and stderr, for failure messages. */
  output(): string;
  /** Resolves once /readyz answers 200 (bounded; the error carries the process output). */
  ready(timeoutMs?: number): Promise<void>;
  /** kill -9: no shutdown, no cleanup, as a crash or an OOM kill. */
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export async function startRoleProcess(roles: string[], env: Record<string, string | undefined>): Promise<RoleProcess> {
  const httpPort = await freePort();
  const child = spawn(join(root, 'faxgate'), ['run', ...roles], { env: { ...process.env, ...env, FAXGATE_HTTP_PORT: String(httpPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout!.on('data', (d) => out.push(String(d)));
  child.stderr!.on('data', (d) => out.push(String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const p: RoleProcess = {
    roles,
    child,
    httpPort,
    output: () => out.join(''),
    // 60 s: a `faxgate run` of four roles took 30-50 s to answer /readyz on this 2-core machine
    // at load ~20 (node-killed-mid-call failed on 30 s); a process that never starts still fails.
    async ready(timeoutMs = 60_000) {
      await waitUntil(`${roles.join('+')} ready on :${httpPort}`, async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
        return (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200;
      }, timeoutMs, 100).catch((err) => {
        throw new Error(`${(err as Error).message}\n--- output of faxgate run ${roles.join(' ')} ---\n${p.output().slice(-4000)}`);
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  return p;
}
