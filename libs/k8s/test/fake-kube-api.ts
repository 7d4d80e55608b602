import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';

type Obj = { apiVersion?: string; kind?: string; metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; deletionTimestamp?: string; [k: string]: unknown }; [k: string]: unknown };
interface WatchEvent { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: Obj }
interface Watcher { ns: string; selector: Record<string, string>; res: ServerResponse }

/**
 * A small Kubernetes API server for tests, over real HTTP: Leases (get, create, replace with
 * optimistic concurrency: 409 on a stale resourceVersion) and Pods (list with label selector,
 * watch as a stream of JSON lines from a resourceVersion, 410 Gone once history is compacted).
 */
export class FakeKubeApi {
  url = '';
  private server: Server | undefined;
  private rv = 100;
  private readonly leases = new Map<string, Obj>();
  private readonly pods = new Map<string, Obj>();
  private history: WatchEvent[] = [];
  private compactedRv = 0;
  private readonly watchers = new Set<Watcher>();
  /** Requests with these bearer tokens get 503 (a candidate cut off from the API server). */
  readonly refusedTokens = new Set<string>();
  /** Called before a lease replace is applied: lets a test slip in a competing write. */
  beforeLeaseReplace: ((name: string) => void) | undefined;
  readonly counts = { conflicts: 0, watches: 0, lists: 0, gone: 0, refused: 0 };

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const a = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${a.port}`;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  lease(ns: string, name: string): Obj | undefined {
    return this.leases.get(`${ns}/${name}`);
  }

  /** A lease's spec as stored (JSON: times are strings), or undefined. */
  leaseSpec(ns: string, name: string): { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number } | undefined {
    return this.leases.get(`${ns}/${name}`)?.spec as never;
  }

  /** Overwrites a lease's spec as another writer would (bumps its resourceVersion). */
  writeLease(ns: string, name: string, spec: Record<string, unknown>): void {
    const l = this.leases.get(`${ns}/${name}`);
    if (!l) throw new Error('no such lease');
    l.spec = { ...(l.spec as object), ...spec };
    l.metadata.resourceVersion = String(++this.rv);
  }

  putPod(ns: string, name: string, labels: Record<string, string>, status: { ready?: boolean; podIP?: string; terminating?: boolean } = {}): void {
    const existing = this.pods.get(`${ns}/${name}`);
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels, resourceVersion: String(++this.rv), uid: `uid-${name}`, ...(status.terminating ? { deletionTimestamp: new Date().toISOString() } : {}) },
      spec: { nodeName: 'worker-1', containers: [{ name: 'faxgate', image: 'faxgate' }] },
      status: { phase: 'Running', podIP: status.podIP ?? '10.0.0.1', conditions: [{ type: 'Ready', status: status.ready === false ? 'False' : 'True' }] },
    };
    this.pods.set(`${ns}/${name}`, pod);
    this.publish({ rv: this.rv, type: existing ? 'MODIFIED' : 'ADDED', obj: pod });
  }

  deletePod(ns: string, name: string): void {
    const pod = this.pods.get(`${ns}/${name}`);
    if (!pod) return;
    this.pods.delete(`${ns}/${name}`);
    const gone = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.rv) } };
    this.publish({ rv: this.rv, type: 'DELETED', obj: gone });
  }

  /** Forgets the watch history (as etcd compaction does): older resourceVersions get 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Ends every open watch stream, as the API server does when a watch times out. */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  private publish(ev: WatchEvent): void {
    this.history.push(ev);
    for (const w of this.watchers) if (w.ns === ev.obj.metadata.namespace && matches(ev.obj, w.selector)) w.res.write(`${JSON.stringify({ type: ev.type, object: ev.obj })}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (this.refusedTokens.has(token)) {
      this.counts.refused++;
      return send(res, 503, status(503, 'ServiceUnavailable', 'refused by test'));
    }
    const body = req.method === 'POST' || req.method === 'PUT' ? await readJson(req) : undefined;
    let m = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(url.pathname);
    if (m) return this.leaseRoute(req.method ?? 'GET', m[1], m[2], body as Obj | undefined, res);
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (m && req.method === 'GET') return this.podsRoute(m[1], url.searchParams, res);
    send(res, 404, status(404, 'NotFound', `no route ${req.method} ${url.pathname}`));
  }

  private leaseRoute(method: string, ns: string, name: string | undefined, body: Obj | undefined, res: ServerResponse): void {
    // The API server decodes Lease times as MicroTime (RFC 3339 with exactly six fractional digits).
    const spec = (body?.spec ?? {}) as Record<string, unknown>;
    for (const f of ['renewTime', 'acquireTime']) {
      if (spec[f] !== undefined && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(String(spec[f]))) {
        return send(res, 400, status(400, 'BadRequest', `Lease in version "v1" cannot be handled as a Lease: parsing time "${String(spec[f])}" as "2006-01-02T15:04:05.000000Z07:00"`));
      }
    }
    if (method === 'GET' && name) {
      const l = this.leases.get(`${ns}/${name}`);
      return l ? send(res, 200, l) : send(res, 404, status(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`));
    }
    if (method === 'POST' && !name && body) {
      const key = `${ns}/${body.metadata.name}`;
      if (this.leases.has(key)) {
        this.counts.conflicts++;
        return send(res, 409, status(409, 'AlreadyExists', `leases.coordination.k8s.io "${body.metadata.name}" already exists`));
      }
      const l: Obj = { ...body, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...body.metadata, namespace: ns, resourceVersion: String(++this.rv) } };
      this.leases.set(key, l);
      return send(res, 201, l);
    }
    if (method === 'PUT' && name && body) {
      this.beforeLeaseReplace?.(name);
      const key = `${ns}/${name}`;
      const cur = this.leases.get(key);
      if (!cur) return send(res, 404, status(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`));
      if (body.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        this.counts.conflicts++;
        return send(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`));
      }
      const l: Obj = { ...body, metadata: { ...body.metadata, namespace: ns, resourceVersion: String(++this.rv) } };
      this.leases.set(key, l);
      return send(res, 200, l);
    }
    send(res, 405, status(405, 'MethodNotAllowed', method));
  }

  private podsRoute(ns: string, q: URLSearchParams, res: ServerResponse): void {
    const selector = parseSelector(q.get('labelSelector') ?? '');
    if (q.get('watch') !== 'true') {
      this.counts.lists++;
      const items = [...this.pods.values()].filter((p) => p.metadata.namespace === ns && matches(p, selector));
      return send(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: String(this.rv) }, items });
    }
    this.counts.watches++;
    const from = Number(q.get('resourceVersion') ?? this.rv);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from < this.compactedRv) {
      this.counts.gone++;
      res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`) })}\n`);
      return;
    }
    for (const ev of this.history) if (ev.rv > from && ev.obj.metadata.namespace === ns && matches(ev.obj, selector)) res.write(`${JSON.stringify({ type: ev.type, object: ev.obj })}\n`);
    const w: Watcher = { ns, selector, res };
    this.watchers.add(w);
    // timeoutSeconds: the server ends the watch cleanly after that long, as the real one does.
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(w);
    });
  }
}

function parseSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    out[k] = v ?? '';
  }
  return out;
}

function matches(o: Obj, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v);
}

function status(code: number, reason: string, message: string) {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}
