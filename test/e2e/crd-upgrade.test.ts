// `helm upgrade` from the previous chart version (the chart as it was at PREVIOUS, taken from git)
// to this tree's chart, on the real apiserver and node: the previous version installed its CRD from
// crds/ (no Helm ownership metadata), which no `helm upgrade` touches; the pre-upgrade hook Job runs
// `logshipper crds apply` in the project's image on the node and the CRD becomes this tree's. A
// LogShipper made before the upgrade stays and stays Ready, and a field only the new schema has
// (found by diffing the two schemas) is stored where it was pruned before. With the hook off, the
// upgrade leaves the CRD as it was.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { eventually, kubeConfig, testEnv, unique } from '../env/testing.ts';
import { createNamespace, deleteNamespace, installCrd, Shippers } from '../integration/operator/helpers.ts';
import { AuditLog, CHART, helm, helmRun, kubectl, ROOT, valuesFile, type AuditEvent } from '../helpers/chart.ts';
import { imageValues, installChart, projectImageOnNode, type Image, type Release } from '../helpers/cluster.ts';
import { APP_LOG_FILE } from '../helpers/app-workload.ts';
import { crdChanges, type CrdChanges } from '../../operator/crd-changes.ts';
import { crdObject, type Json } from '../../operator/schema/crd.ts';
import { GROUP, PLURAL, VERSION } from '../../operator/crd-types.ts';

/** The last released chart (0.1.0): its CRD came from crds/, and it had no upgrade hook. */
const PREVIOUS = '82965a4';
const CRD_NAME = `${PLURAL}.${GROUP}`;
const CRD_FILE = 'crds/logshipper.io_logshippers.yaml';

/** The chart folder at PREVIOUS (git archive), or an error saying why there is none. */
function previousChart(): string {
  try {
    execFileSync('git', ['-C', ROOT, 'cat-file', '-e', `${PREVIOUS}^{commit}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`the previous chart version is commit ${PREVIOUS}, which is not in the clone at ${ROOT} (a shallow clone? git fetch --unshallow): ${String((error as { stderr?: unknown }).stderr ?? error)}`, { cause: error });
  }
  const dir = mkdtempSync(join(tmpdir(), 'logshipper-previous-chart-'));
  execFileSync('tar', ['-x', '-C', dir], { input: execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', PREVIOUS, 'charts/logshipper']) });
  return join(dir, 'charts', 'logshipper');
}

async function liveCrd(): Promise<Json> {
  return JSON.parse(await kubectl(['get', 'crd', CRD_NAME, '-o', 'json'])) as Json;
}

/** Makes the cluster's CRD exactly `crd` (a replace, so no field another manager holds is kept; created on a fresh cluster). */
async function replaceCrd(crd: Json): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'logshipper-crd-')), 'crd.json');
  const found = await kubectl(['get', 'crd', '--ignore-not-found', '-o', 'name', CRD_NAME]);
  if (found.trim() === '') {
    writeFileSync(file, JSON.stringify(crd));
    await kubectl(['create', '-f', file]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${CRD_NAME}`]);
    return;
  }
  await eventually(`the CRD ${CRD_NAME} replaced`, 30_000, async () => {
    const metadata = { ...(crd['metadata'] as Json), resourceVersion: ((await liveCrd())['metadata'] as Json)['resourceVersion'] };
    writeFileSync(file, JSON.stringify({ ...crd, metadata }));
    return kubectl(['replace', '-f', file]).catch(() => undefined);
  });
}

/**
 * Where the live CRD differs from `desired` in what it declares (versions, schema, printer columns,
 * names, scope), leaving out the keys the apiserver fills in itself (conversion).
 */
function differences(desired: Json, live: Json): string[] {
  const changes: CrdChanges = crdChanges(desired, live);
  const declared = desired['spec'] as Json;
  const filled = live['spec'] as Json;
  return [
    ...changes.fieldsAdded, ...changes.fieldsRemoved, ...changes.fieldsChanged, ...changes.columnsAdded, ...changes.columnsRemoved, ...changes.columnsChanged,
    ...changes.other.filter((key) => key in declared || !(key in filled)),
  ];
}

function schemaOf(crd: Json): Json {
  const versions = (crd['spec'] as { versions: { name: string; schema: { openAPIV3Schema: Json } }[] }).versions;
  const version = versions.find((v) => v.name === VERSION);
  assert.ok(version, `the CRD serves ${VERSION}`);
  return version.schema.openAPIV3Schema;
}

function nodeAt(schema: Json, path: string[]): Json {
  return path.reduce<Json>((node, name) => ((node['properties'] as Record<string, Json> | undefined)?.[name] ?? {}), schema);
}

/** A value the schema node takes that is not its default (so it cannot be the apiserver's defaulting); undefined if none is made up easily. */
function sample(node: Json): unknown {
  const enums = node['enum'] as unknown[] | undefined;
  if (enums !== undefined) return enums.find((value) => value !== node['default']);
  if (node['x-kubernetes-int-or-string'] === true) return node['default'] === 1 ? 2 : 1;
  switch (node['type']) {
    case 'boolean': return node['default'] !== true;
    case 'integer': {
      // Above the minimum: not the zero a writer may set anyway.
      const above = ((node['minimum'] as number | undefined) ?? 0) + 1;
      const value = node['default'] === above ? above + 1 : above;
      return value <= ((node['maximum'] as number | undefined) ?? Number.MAX_SAFE_INTEGER) ? value : undefined;
    }
    case 'string': {
      if (node['pattern'] !== undefined) return undefined;
      if (node['format'] === 'date-time') return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const text = 'x'.repeat(Math.max(1, (node['minLength'] as number | undefined) ?? 1));
      return text === node['default'] ? `${text}y` : text;
    }
    case 'array': {
      const item = sample((node['items'] ?? {}) as Json);
      return item === undefined ? undefined : Array.from({ length: Math.max(1, (node['minItems'] as number | undefined) ?? 1) }, () => item);
    }
    case 'object': {
      const properties = Object.entries((node['properties'] ?? {}) as Record<string, Json>);
      const required = new Set((node['required'] ?? []) as string[]);
      const chosen = required.size > 0 ? properties.filter(([name]) => required.has(name)) : properties.slice(0, 1);
      const entries = chosen.map(([name, child]) => [name, sample(child)] as const);
      return entries.some(([, value]) => value === undefined) ? undefined : Object.fromEntries(entries);
    }
    default: return undefined;
  }
}

interface Probe {
  /** spec.x.y or status.x.y */
  path: string[];
  value: unknown;
}

/**
 * Fields this tree's CRD has and PREVIOUS's has not, outermost only (not inside lists or maps, under
 * spec or status), each with a value to write. None is a failure: the upgrade would change no field.
 */
function probes(previous: Json, current: Json): Probe[] {
  const added = crdChanges(previous, current).fieldsAdded.filter((key) => key.startsWith(`${VERSION}:`)).map((key) => key.slice(VERSION.length + 1));
  assert.ok(added.length > 0, `the CRD of the chart at ${PREVIOUS} and this tree's CRD have the same fields (${VERSION}): an upgrade adds none, so this test proves nothing. It needs a schema change since ${PREVIOUS}.`);
  const outermost = added.filter((path) => !added.some((other) => path.startsWith(`${other}.`)) && /^(spec|status)\.[^[\]{}]+$/.test(path));
  const found = outermost.map((path) => ({ path: path.split('.'), value: sample(nodeAt(schemaOf(current), path.split('.'))) })).filter((probe) => probe.value !== undefined);
  assert.ok(found.length > 0, `no added field to write a value to: added ${added.join(', ')}`);
  return found;
}

function valueAt(object: unknown, path: string[]): unknown {
  return path.reduce<unknown>((node, name) => (typeof node === 'object' && node !== null ? (node as Json)[name] : undefined), object);
}

/** Writes the probe's value (a merge patch, of the status subresource for a status field); returns the object the apiserver stored. */
async function writeProbe(kc: KubeConfig, namespace: string, name: string, probe: Probe): Promise<unknown> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const body = probe.path.reduceRight<unknown>((value, key) => ({ [key]: value }), probe.value);
  const request = { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body };
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return (probe.path[0] === 'status' ? custom.patchNamespacedCustomObjectStatus(request, merge) : custom.patchNamespacedCustomObject(request, merge)) as Promise<unknown>;
}

/** The hook's requests for the CRD, by the hook's ServiceAccount (from a pod: its token names it). */
function hookPatches(audit: AuditLog, namespace: string, serviceAccount: string): (AuditEvent & { user: { extra?: Record<string, string[]> } })[] {
  return audit.events(`system:serviceaccount:${namespace}:${serviceAccount}`)
    .filter((event) => event.stage === 'ResponseComplete' && event.verb === 'patch' && event.objectRef?.resource === 'customresourcedefinitions' && event.objectRef.name === CRD_NAME);
}

describe(`helm upgrade from the chart at ${PREVIOUS} (CRD from crds/) to this tree's chart: the pre-upgrade hook applies the new CRD`, { timeout: 600_000 }, () => {
  let kc: KubeConfig;
  let image: Image;
  let chart: string;
  let release: Release | undefined;
  const ns = unique('lscrd-sys');
  const appNs = unique('lscrd-app');
  const hook = (r: Release): string => `${r.fullname}-crd-upgrade`;

  before(async () => {
    chart = previousChart();
    kc = kubeConfig();
    image = await projectImageOnNode();
    await createNamespace(kc, appNs);
  });

  after(async () => {
    if (release !== undefined) {
      await helmRun(['uninstall', release.name, '--namespace', ns, '--wait']).catch(() => undefined);
      // A failed hook's cluster-scoped RBAC outlives the release.
      await kubectl(['delete', 'clusterrole,clusterrolebinding', hook(release), '--ignore-not-found']).catch(() => undefined);
    }
    await deleteNamespace(kc, appNs);
    await deleteNamespace(kc, ns);
    // Later tests find this tree's CRD, whatever this one left.
    await installCrd(kc);
  });

  it('the CRD becomes this tree\'s, the LogShipper stays Ready and a field only the new schema has is stored; with crds.upgradeJob.enabled=false the CRD stays as it was', async () => {
    const previousCrd = yaml.load(readFileSync(join(chart, 'crds', 'logshipper.io_logshippers.yaml'), 'utf8')) as Json;
    const currentCrd = crdObject();
    assert.deepEqual(yaml.load(readFileSync(join(ROOT, CRD_FILE), 'utf8')), currentCrd, `${CRD_FILE} is what the image applies`);
    const [probe] = probes(previousCrd, currentCrd);
    assert.ok(probe);
    console.log(`# the field only this tree's CRD has: ${probe.path.join('.')} = ${JSON.stringify(probe.value)}`);

    // As the previous version left a cluster: its crds/ CRD (helm install skips a CRD that exists), its chart.
    await replaceCrd(previousCrd);
    assert.deepEqual(differences(previousCrd, await liveCrd()), []);
    const values = { operator: { watchNamespace: appNs } };
    const installed = await installChart(kc, unique('crdup'), ns, image, values, chart);
    release = installed;
    const hookName = hook(installed);
    const shippers = new Shippers(kc, appNs);
    await shippers.create('app', { volume: 'logs', files: [{ path: APP_LOG_FILE }], kafka: { brokers: testEnv('KAFKA_POD_BROKERS').split(','), topic: unique('crdup') } });
    await shippers.waitReady('app', 'True', undefined, 60_000);
    assert.equal(valueAt(await writeProbe(kc, appNs, 'app', probe), probe.path), undefined, `${probe.path.join('.')} is pruned by the previous schema`);

    const audit = new AuditLog();
    const upgrade = async (extra: Record<string, unknown>): Promise<string> =>
      helm(['upgrade', installed.name, CHART, '--namespace', ns, '-f', valuesFile(imageValues(image, { ...values, ...extra })), '--wait', '--timeout', '180s']);

    await upgrade({ crds: { upgradeJob: { enabled: false } } });
    assert.deepEqual(differences(previousCrd, await liveCrd()), [], 'with the hook off, the CRD is the previous one');
    assert.deepEqual(hookPatches(audit, ns, hookName), []);

    const upgraded = await upgrade({});
    assert.match(upgraded, /REVISION: 3/);
    const patches = hookPatches(audit, ns, hookName);
    assert.ok(patches.length > 0, 'the hook\'s ServiceAccount patched the CRD');
    for (const event of patches) assert.equal(event.responseStatus?.code, 200);
    const pods = patches.map((event) => event.user.extra?.['authentication.kubernetes.io/pod-name']?.[0]);
    assert.ok(pods.every((pod) => pod?.startsWith(`${hookName}-`) === true), `the hook Job's pod made the request: ${pods.join(', ')}`);
    assert.deepEqual(differences(currentCrd, await liveCrd()), [], 'the CRD in the cluster is this tree\'s');
    // hook-succeeded: the Job and its RBAC are gone.
    assert.equal((await kubectl(['get', 'job,serviceaccount', '-n', ns, hookName, '--ignore-not-found', '-o', 'name'])).trim(), '');
    assert.equal((await kubectl(['get', 'clusterrole,clusterrolebinding', hookName, '--ignore-not-found', '-o', 'name'])).trim(), '');

    await shippers.waitReady('app', 'True', undefined, 60_000);
    // The apiserver serves the new schema a moment after Established.
    await eventually(`${probe.path.join('.')} stored`, 30_000, async () => {
      const stored = valueAt(await writeProbe(kc, appNs, 'app', probe), probe.path);
      return JSON.stringify(stored) === JSON.stringify(probe.value) ? true : undefined;
    });
  });
});
