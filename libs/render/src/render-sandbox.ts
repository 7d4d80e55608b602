import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getCompileCacheDir } from 'node:module';
import type { FaxPage } from '@faxgate/fax-image';
import type { DocumentInput, PartRenderOptions } from './render-part.ts';
import { receivedPages, type SentPage } from './page-transfer.ts';

export interface SandboxLimits {
  /** Wall-clock time one document may take. */
  timeoutMs: number;
  /** Resident memory of the sandbox process while it renders (MiB). */
  memoryMb: number;
}

/** A document that broke a limit or crashed its renderer: the sentence says which. */
export class DocumentRenderError extends Error {}

/** The sandbox process itself cannot start (broken install): no document is to blame. */
export class SandboxUnavailableError extends Error {}

interface Pending {
  resolve: (pages: FaxPage[]) => void;
  reject: (err: Error) => void;
}

const CHILD = new URL('./sandbox-child.ts', import.meta.url);
/** Time a fresh sandbox process may take to load MuPDF and say it is ready. */
const STARTUP_MS = 30_000;

/**
 * Renders untrusted documents in a child process, one document at a time per child, `size`
 * children. The parent enforces the limits: a document over its time, or a child whose
 * resident memory passes the limit (sampled from /proc), is killed with SIGKILL and the
 * document fails with a reason; the next document gets a fresh child. The render worker
 * itself never opens a document, so it stays healthy whatever a mail contains.
 */
export class RenderSandbox {
  private readonly idle: SandboxProcess[] = [];
  private readonly all = new Set<SandboxProcess>();
  private readonly waiting: Array<(p: SandboxProcess) => void> = [];
  private closed = false;
  private readonly limits: SandboxLimits;
  private readonly size: number;

  private readonly entry: URL;

  /** `entry` is the child module; only tests point it elsewhere. */
  constructor(limits: SandboxLimits, size = 1, entry: URL = CHILD) {
    this.limits = limits;
    this.size = size;
    this.entry = entry;
  }

  /** Renders one document in a sandbox process; rejects with a DocumentRenderError sentence. */
  async render(doc: DocumentInput, opts: PartRenderOptions): Promise<FaxPage[]> {
    const proc = await this.acquire();
    try {
      return await proc.run(doc, opts, this.limits);
    } finally {
      this.release(proc);
    }
  }

  /** Processes started so far (a killed one is replaced): for tests and metrics. */
  get started(): number {
    return SandboxProcess.startedCount;
  }

  /**
   * Starts the sandbox processes now instead of at the first document, so their loading MuPDF
   * (about half a second) overlaps what the caller does meanwhile: `faxgate render` loads its
   * own modules in that time (issue 18, the CLI's first page).
   */
  warm(): void {
    while (!this.closed && this.all.size < this.size) {
      const p = new SandboxProcess(this.limits.memoryMb, this.entry);
      this.all.add(p);
      this.release(p);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.all) p.kill();
    this.all.clear();
    this.idle.length = 0;
  }

  private async acquire(): Promise<SandboxProcess> {
    if (this.closed) throw new Error('the render sandbox is closed');
    // A warmed process that died while idle (it never loaded, or was killed) is replaced here,
    // so its document gets a fresh one and a start failure is reported as such.
    let ready = this.idle.pop();
    while (ready && !ready.alive) {
      this.all.delete(ready);
      ready = this.idle.pop();
    }
    if (ready) return ready;
    if (this.all.size < this.size) {
      const p = new SandboxProcess(this.limits.memoryMb, this.entry);
      this.all.add(p);
      return p;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(p: SandboxProcess): void {
    let proc = p;
    if (!p.alive) {
      this.all.delete(p);
      if (this.closed) return;
      proc = new SandboxProcess(this.limits.memoryMb, this.entry);
      this.all.add(proc);
    }
    const next = this.waiting.shift();
    if (next) next(proc);
    else this.idle.push(proc);
  }
}

class SandboxProcess {
  static startedCount = 0;
  private readonly child: ChildProcess;
  private pending: (Pending & { id: number }) | undefined;
  private nextId = 1;
  alive = true;
  private ready = false;
  private onReady: Array<() => void> = [];
  private exitReason: string | undefined;

  constructor(memoryMb: number, entry: URL = CHILD) {
    SandboxProcess.startedCount++;
    this.child = fork(entry, [], {
      serialization: 'advanced',
      // The JS heap limit backs the RSS watch for allocations V8 makes itself.
      execArgv: [`--max-old-space-size=${Math.max(64, Math.floor(memoryMb / 2))}`, '--no-warnings'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: sandboxEnv(),
    });
    // A renderer that does not come up at all is the gateway's problem, reported as such.
    const startup = setTimeout(() => this.child.kill('SIGKILL'), STARTUP_MS);
    this.onReady.push(() => clearTimeout(startup));
    this.child.on('exit', () => clearTimeout(startup));
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    this.child.on('message', (msg: { id: number; ok: boolean; pages?: SentPage[]; error?: string; ready?: boolean }) => {
      if (msg.ready) {
        this.ready = true;
        for (const f of this.onReady.splice(0)) f();
        return;
      }
      const p = this.pending;
      if (!p || p.id !== msg.id) return;
      this.pending = undefined;
      if (msg.ok) p.resolve(receivedPages(msg.pages!));
      else p.reject(new DocumentRenderError(msg.error ?? 'it could not be rendered'));
    });
    this.child.on('exit', (code, signal) => {
      this.alive = false;
      const p = this.pending;
      this.pending = undefined;
      if (!this.ready && !this.exitReason) {
        const cause = /^\w*Error: .*$/m.exec(stderr)?.[0] ?? stderr.trim().split('\n').pop() ?? '';
        p?.reject(new SandboxUnavailableError(`the render sandbox did not start (${signal ?? `exit ${code}`}): ${cause}`));
        return;
      }
      const why = this.exitReason ?? (/heap out of memory|Allocation failed/i.test(stderr) ? 'it needs more memory than a document may use' : `the renderer stopped (${signal ?? `exit ${code}`})`);
      p?.reject(new DocumentRenderError(why));
    });
  }

  run(doc: DocumentInput, opts: PartRenderOptions, limits: SandboxLimits): Promise<FaxPage[]> {
    if (!this.alive) return Promise.reject(new DocumentRenderError('the renderer stopped'));
    return new Promise<FaxPage[]>((resolve, reject) => {
      const id = this.nextId++;
      // The document's time starts when the renderer is up, not while a fresh process loads.
      let timer: NodeJS.Timeout | undefined;
      const startClock = () => {
        timer = setTimeout(() => this.kill(`it took longer than ${Math.round(limits.timeoutMs / 1000)} s to render`), limits.timeoutMs);
      };
      if (this.ready) startClock();
      else this.onReady.push(startClock);
      const watch = setInterval(() => {
        const rss = residentMb(this.child.pid);
        if (rss !== undefined && rss > limits.memoryMb) this.kill(`it needs more than ${limits.memoryMb} MB of memory to render`);
      }, 50);
      const done = () => {
        if (timer) clearTimeout(timer);
        this.onReady = this.onReady.filter((f) => f !== startClock);
        clearInterval(watch);
      };
      this.pending = {
        id,
        resolve: (pages) => {
          done();
          resolve(pages);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
      this.child.send({ id, doc, opts });
    });
  }

  kill(reason?: string): void {
    if (!this.alive) return;
    this.exitReason = reason;
    this.child.kill('SIGKILL');
  }
}

/**
 * The parent's environment, and its compile cache when it has one (`faxgate render` turns it on
 * in-process, so a child would not inherit it): the sandbox then loads its modules compiled
 * instead of stripping and compiling their TypeScript at every start, 50 ms of the 0.4 s of
 * CPU it takes to be ready (issue 18, the CLI's first page). The roles of `faxgate run` have no
 * cache, nor then their sandboxes. The cache holds only faxgate's own code, which the sandbox
 * could write anyway as the same user.
 */
function sandboxEnv(): NodeJS.ProcessEnv {
  const dir = getCompileCacheDir();
  return dir ? { ...process.env, NODE_COMPILE_CACHE: dir } : process.env;
}

/** VmRSS of a process in MiB, from /proc (Linux); undefined elsewhere or once it has gone. */
function residentMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
