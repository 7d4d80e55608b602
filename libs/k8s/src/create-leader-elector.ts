import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { ElectionTiming, LeaderElector } from './leader-elector.ts';
import { LeaseLeaderElector } from './lease-leader-elector.ts';
import { RedisLeaderElector } from './redis-leader-elector.ts';
import { inCluster, inClusterKubeConfig, podNamespace } from './kube-config.ts';

export interface CreateElectorOptions {
  /** What is being led, e.g. `inbound-poller`: the Lease is `faxgate-<name>`, the Redis key `<prefix>:leader:<name>`. */
  name: string;
  identity: string;
  /** Used outside Kubernetes. */
  redis: Redis;
  redisPrefix: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides the in-cluster configuration (tests point it at a fake API server). */
  kubeConfig?: KubeConfig;
  namespace?: string;
  timing?: Partial<ElectionTiming>;
  log?: (msg: string, err?: unknown) => void;
}

/**
 * A Lease elector when running in Kubernetes (the API server is the source of truth there, and
 * a Lease shows up in `kubectl get lease`), a Redis lock elsewhere.
 */
export function createLeaderElector(opts: CreateElectorOptions): LeaderElector {
  const env = opts.env ?? process.env;
  if (opts.kubeConfig || inCluster(env)) {
    const kc = opts.kubeConfig ?? inClusterKubeConfig();
    return new LeaseLeaderElector({
      api: kc.makeApiClient(CoordinationV1Api),
      namespace: opts.namespace ?? podNamespace(env),
      name: `faxgate-${opts.name}`,
      identity: opts.identity,
      timing: opts.timing,
      log: opts.log,
    });
  }
  return new RedisLeaderElector({ redis: opts.redis, key: `${opts.redisPrefix}:leader:${opts.name}`, identity: opts.identity, timing: opts.timing, log: opts.log });
}
