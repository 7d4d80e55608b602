import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

/** What the console needs to know about a node-daemon pod. */
export interface DiscoveredPod {
  name: string;
  namespace: string;
  /** The pool label (`faxgate.io/pool`), when set. */
  pool?: string;
  phase: string;
  ready: boolean;
  podIP?: string;
  nodeName?: string;
  /** Set once the pod is being deleted: it is draining and takes no new calls. */
  terminating: boolean;
}

export interface PodDiscoveryOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** e.g. `app.kubernetes.io/name=faxgate,app.kubernetes.io/component=node` */
  labelSelector: string;
  /** Delay before listing again after a watch ended with an error. */
  retryMs?: number;
  /**
   * How long the API server keeps one watch open before ending it cleanly (the watch is then
   * resumed). Below client-node's 30 s idle timeout, so a quiet namespace does not look like a
   * failed watch.
   */
  watchTimeoutSeconds?: number;
  log?: (msg: string, err?: unknown) => void;
}

/**
 * Keeps a live map of the pods matching a label selector: list, then watch from the list's
 * resourceVersion. A watch that ends is resumed from the last seen version; one refused with
 * 410 Gone (the version was compacted away) starts over with a fresh list, as client-go's
 * reflector does.
 */
export class PodDiscovery {
  private readonly opts: Required<Omit<PodDiscoveryOptions, 'log'>> & Pick<PodDiscoveryOptions, 'log'>;
  private readonly api: CoreV1Api;
  private readonly watcher: Watch;
  private readonly known = new Map<string, DiscoveredPod>();
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Grows while listing keeps failing (no token, no RBAC, API server down), so the log is not flooded. */
  private backoffMs = 0;
  private readonly listeners = new Set<(pods: DiscoveredPod[]) => void>();
  /** How many times the pod list was fetched (the first time and after each 410 or failure). */
  lists = 0;
  /** How many watch requests were made. */
  watches = 0;

  constructor(opts: PodDiscoveryOptions) {
    this.opts = { retryMs: 1000, watchTimeoutSeconds: 25, ...opts };
    this.api = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.watcher = new Watch(opts.kubeConfig);
  }

  /** Lists the pods once (so `pods()` is filled when it resolves), then keeps watching. */
  async start(): Promise<void> {
    this.running = true;
    await this.relist();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  pods(): DiscoveredPod[] {
    return [...this.known.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): DiscoveredPod | undefined {
    return this.known.get(name);
  }

  onChange(listener: (pods: DiscoveredPod[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async relist(): Promise<void> {
    if (!this.running) return;
    try {
      const list = await this.api.listNamespacedPod({ namespace: this.opts.namespace, labelSelector: this.opts.labelSelector });
      this.lists++;
      this.backoffMs = 0;
      this.known.clear();
      for (const p of list.items) this.upsert(p);
      this.resourceVersion = list.metadata?.resourceVersion;
      this.emit();
      void this.watch();
    } catch (err) {
      this.opts.log?.('listing node pods failed; retrying', err);
      this.retry(() => this.relist());
    }
  }

  private async watch(): Promise<void> {
    if (!this.running) return;
    let gone = false;
    this.watches++;
    const path = `/api/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/pods`;
    try {
      this.abort = await this.watcher.watch(
        path,
        { labelSelector: this.opts.labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.opts.watchTimeoutSeconds },
        (type, obj: V1Pod & { code?: number }) => {
          if (type === 'ERROR') {
            if (obj.code === 410) gone = true;
            return;
          }
          if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
          if (type === 'BOOKMARK') return;
          if (type === 'DELETED') this.known.delete(obj.metadata?.name ?? '');
          else this.upsert(obj);
          this.emit();
        },
        (err) => {
          if (!this.running) return;
          if (gone) return void this.relist();
          if (err) {
            this.opts.log?.('watching node pods failed; listing again', err);
            return this.retry(() => this.relist());
          }
          void this.watch(); // the server closed the watch (its timeout): resume where we were
        },
      );
    } catch (err) {
      this.opts.log?.('watch request failed', err);
      this.retry(() => this.relist());
    }
  }

  private retry(fn: () => Promise<void>): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.backoffMs = this.backoffMs ? Math.min(this.backoffMs * 2, 30_000) : this.opts.retryMs;
    this.timer = setTimeout(() => void fn(), this.backoffMs);
    this.timer.unref();
  }

  private upsert(p: V1Pod): void {
    const name = p.metadata?.name;
    if (!name) return;
    this.known.set(name, {
      name,
      namespace: p.metadata?.namespace ?? this.opts.namespace,
      pool: p.metadata?.labels?.['faxgate.io/pool'],
      phase: p.status?.phase ?? 'Unknown',
      ready: Boolean(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
      podIP: p.status?.podIP,
      nodeName: p.spec?.nodeName,
      terminating: Boolean(p.metadata?.deletionTimestamp),
    });
  }

  private emit(): void {
    const pods = this.pods();
    for (const l of [...this.listeners]) l(pods);
  }
}
