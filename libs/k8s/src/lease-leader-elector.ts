import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { ElectorBase, type ElectionTiming } from './leader-elector.ts';

export interface LeaseElectorOptions {
  api: CoordinationV1Api;
  namespace: string;
  /** The Lease's name, e.g. `faxgate-inbound-poller`. */
  name: string;
  /** This candidate's identity: the pod name. */
  identity: string;
  timing?: Partial<ElectionTiming>;
  log?: (msg: string, err?: unknown) => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way Kubernetes' own controllers do it:
 * optimistic concurrency on resourceVersion decides races (the API server answers 409 to a
 * replace based on a stale read), and expiry is judged by when this process last saw the
 * lease record change, not by comparing its clock with the holder's renewTime, so clock skew
 * between nodes cannot hand the role to two pods.
 */
export class LeaseLeaderElector extends ElectorBase {
  readonly kind = 'lease' as const;
  private readonly api: CoordinationV1Api;
  private readonly namespace: string;
  private readonly name: string;
  private observed: { record: string; at: number } | undefined;

  constructor(opts: LeaseElectorOptions) {
    super(opts.identity, opts.timing ?? {}, opts.log);
    this.api = opts.api;
    this.namespace = opts.namespace;
    this.name = opts.name;
  }

  protected async tryAcquireOrRenew(): Promise<boolean> {
    // The API server parses Lease times as MicroTime (six fractional digits); a plain Date
    // serializes with three and the write is refused with 400.
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      try {
        await this.api.createNamespacedLease({ namespace: this.namespace, body: this.newLease(now) });
        return true;
      } catch (e) {
        if (isStatus(e, 409)) return false; // another candidate created it first
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = `${holder}|${spec.renewTime ? new Date(spec.renewTime).getTime() : ''}|${spec.leaseTransitions ?? 0}`;
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.timing.leaseDurationMs / 1000)) * 1000;
    const expired = Date.now() - this.observed.at >= durationMs;
    if (holder && holder !== this.identity && !expired) return false;

    const takeover = holder !== this.identity;
    const body: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
        renewTime: now,
        acquireTime: takeover ? now : (spec.acquireTime ?? now),
        leaseTransitions: takeover && holder ? (spec.leaseTransitions ?? 0) + 1 : (spec.leaseTransitions ?? 0),
      },
    };
    try {
      await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body });
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false; // someone renewed or took it between our read and write
      throw err;
    }
  }

  protected async release(): Promise<void> {
    const lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    if (lease.spec?.holderIdentity !== this.identity) return;
    // An empty holder tells the other candidates the role is free now (no expiry wait).
    const body: V1Lease = { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime() } };
    try {
      await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body });
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
    }
  }

  private newLease(now: Date): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, labels: { 'app.kubernetes.io/managed-by': 'faxgate' } },
      spec: { holderIdentity: this.identity, leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000), acquireTime: now, renewTime: now, leaseTransitions: 0 },
    };
  }
}

/** True when a client-node call failed with this HTTP status. */
export function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException ? err.code === code : (err as { code?: unknown; statusCode?: unknown })?.statusCode === code;
}
