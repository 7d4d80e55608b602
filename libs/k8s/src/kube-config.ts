import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** True inside a pod: the kubelet sets KUBERNETES_SERVICE_HOST for every container. */
export function inCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST);
}

/** The pod's own namespace: POD_NAMESPACE (downward API) or the service-account file. */
export function podNamespace(env: NodeJS.ProcessEnv = process.env): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(NAMESPACE_FILE, 'utf8').trim();
  } catch {
    return 'default';
  }
}

/** The in-cluster configuration (service-account token and CA) of the running pod. */
export function inClusterKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromCluster();
  return kc;
}

/** A configuration for one API server URL and bearer token (tests, or a kubeconfig-less admin). */
export function kubeConfigFor(server: string, token = 'faxgate'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
