import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from './helm-binary.ts';

export const CHART = resolve(import.meta.dirname, '../../../charts/faxgate');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  [k: string]: unknown;
}

/** Runs helm with the chart; throws with helm's stderr on failure. */
export function helm(args: string[]): string {
  try {
    return execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HELM_CACHE_HOME: resolve(CHART, '../../.test-tmp/helm/cache'), HELM_CONFIG_HOME: resolve(CHART, '../../.test-tmp/helm/config'), HELM_DATA_HOME: resolve(CHART, '../../.test-tmp/helm/data') } });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** `helm template` of the chart with values files and --set pairs, parsed into manifests. */
export function renderChart(valuesFiles: string[] = [], set: string[] = []): Manifest[] {
  const out = helm(['template', 'fg', CHART, '--namespace', 'fax', ...valuesFiles.flatMap((f) => ['-f', f]), ...set.flatMap((s) => ['--set', s])]);
  const docs = parseAllDocuments(out);
  const manifests: Manifest[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`helm template produced invalid YAML: ${d.errors[0].message}`);
    const v = d.toJS() as Manifest | null;
    if (v) manifests.push(v);
  }
  return manifests;
}

/** Where the offline OpenAPI model of a kind lives (kubernetes-models and its CRD packages). */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}`;
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/** Validates a manifest against the Kubernetes OpenAPI schema of its kind; throws with the path of the problem. */
export async function validateManifest(m: Manifest): Promise<void> {
  const mod = (await import(modelModule(m.apiVersion))) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[m.kind];
  if (!Model) throw new Error(`no schema for ${m.apiVersion} ${m.kind}`);
  try {
    new Model(m).validate();
  } catch (err) {
    throw new Error(`${m.kind} ${m.metadata?.name}: ${(err as Error).message}`);
  }
}

export function find(ms: Manifest[], kind: string, name: string): Manifest {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in: ${ms.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return m;
}

/** The pod templates of every workload (Deployment, StatefulSet, DaemonSet). */
export function workloads(ms: Manifest[]): Manifest[] {
  return ms.filter((m) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(m.kind));
}

/**
 * Unknown fields: the OpenAPI validators accept them (as the API server does by default, with a
 * warning), so a misspelt field would pass silently. TypeScript's excess-property check against
 * the kubernetes-models interfaces catches them: each manifest becomes a typed object literal and
 * tsc reports every field its kind does not have. Returns tsc's messages (empty when all fit).
 */
export function unknownFieldErrors(ms: Manifest[]): string[] {
  mkdirSync(resolve(CHART, '../../.test-tmp'), { recursive: true });
  const dir = mkdtempSync(join(resolve(CHART, '../../.test-tmp'), 'chart-types-'));
  try {
    const lines: string[] = [];
    const imports = new Map<string, string>();
    ms.forEach((m, i) => {
      const mod = modelModule(m.apiVersion);
      const alias = `T${imports.size}`;
      if (!imports.has(`${mod}#${m.kind}`)) imports.set(`${mod}#${m.kind}`, alias);
      const a = imports.get(`${mod}#${m.kind}`)!;
      lines.push(`// ${m.kind} ${m.metadata.name}\nexport const m${i}: ${a} = ${JSON.stringify(m, null, 2)};`);
    });
    const head = [...imports].map(([key, alias]) => {
      const [mod, kind] = key.split('#');
      return `import type { I${kind} as ${alias} } from '${mod}';`;
    });
    writeFileSync(join(dir, 'check.ts'), `${head.join('\n')}\n${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: true, types: [] }, files: ['check.ts'] }));
    try {
      execFileSync(join(resolve(CHART, '../..'), 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return [];
    } catch (err) {
      const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
      const src = readFileSync(join(dir, 'check.ts'), 'utf8').split('\n');
      // Name the manifest each error is in (the comment line above its literal).
      return out.split('\n').filter((l) => /error TS/.test(l)).map((l) => {
        const line = Number(/check\.ts\((\d+),/.exec(l)?.[1] ?? 0);
        let j = line - 1;
        while (j > 0 && !src[j].startsWith('// ')) j--;
        return `${src[j]?.slice(3) ?? '?'}: ${l.replace(/^.*error TS\d+: /, '')}`;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
