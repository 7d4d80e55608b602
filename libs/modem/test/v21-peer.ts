// The spandsp judge of libs/modem (test/peers/spandsp-v21-peer.c): built once per test file,
// run as a child process with a bounded time, its output returned with its exit status.
import { execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../../..');

/** Builds spandsp-v21-peer (test/peers/build.sh) and returns its path. */
export function buildV21Peer(): string {
  return execFileSync(join(repo, 'test/peers/build.sh'), ['spandsp-v21-peer'], { encoding: 'utf8' }).trim().split('\n').pop() as string;
}

/** Runs the peer with `args`; rejects with its output when it fails or outlives `timeoutMs`. */
export function runPeer(peer: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(peer, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`spandsp-v21-peer ${args.join(' ')} still running after ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`spandsp-v21-peer ${args.join(' ')} exited ${code}\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}
