// `logshipper crds apply` against the real kube-apiserver: applyCrd with a CRD of the test's own
// (created, unchanged, a field added, a dry run that changes nothing, a change the apiserver
// refuses), and the command as a process (dry run of the LogShipper CRD; a ServiceAccount without
// the permission: exit 1, the CRD and the refused verb named).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { kubeConfig, unique } from '../../env/testing.ts';
import { capturedLogger } from '../../helpers/captured-log.ts';
import { kubectl, ROOT, serviceAccountKubeconfig } from '../../helpers/chart.ts';
import { applyCrd, CrdApplyError } from '../../../operator/crd-apply.ts';
import { GROUP, PLURAL } from '../../../operator/crd-types.ts';
import type { Json } from '../../../operator/schema/crd.ts';
import { createNamespace, deleteNamespace } from './helpers.ts';

const group = `${unique('crdapply')}.logshipper.test`;
const name = `widgets.${group}`;

function widgetCrd(scope: string, fields: string[]): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group, scope, names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: Object.fromEntries(fields.map((f) => [f, { type: 'string', enum: ['a', 'b'] }])) } } } },
      }],
    },
  };
}

async function runCommand(args: string[], kubeconfig: string): Promise<{ code: number | null; lines: Json[]; stderr: string }> {
  const child = spawn(process.execPath, ['cli/main.ts', 'crds', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: kubeconfig } });
  let out = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, lines: out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json), stderr };
}

describe('crds apply on the real kube-apiserver', () => {
  const kc = kubeConfig();
  const namespace = unique('lscrdapply');
  after(async () => {
    await kc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name }).catch(() => undefined);
    await deleteNamespace(kc, namespace);
  });

  it('creates, finds nothing to change, adds a field (schema keywords kept), dry-runs without changing, names the refusal of an immutable change', async () => {
    const { log, logs } = capturedLogger();
    const options = { dryRun: false, timeoutMs: 30_000, log };
    const created = await applyCrd(kc, widgetCrd('Namespaced', ['a']), options);
    assert.equal(created.created, true);
    assert.ok(created.changes.fieldsAdded.includes('v1:spec.a'));
    assert.deepEqual(logs.map((l) => l['msg']), ['CRD created', 'CRD established']);
    assert.deepEqual((await applyCrd(kc, widgetCrd('Namespaced', ['a']), options)).changes.fieldsAdded, []);
    const added = await applyCrd(kc, widgetCrd('Namespaced', ['a', 'b']), options);
    assert.deepEqual([added.created, added.changes.fieldsAdded, added.changes.fieldsRemoved], [false, ['v1:spec.b'], []]);
    assert.deepEqual(logs.at(-2), { ...logs.at(-2), crd: name, msg: 'CRD updated', fieldsAdded: ['v1:spec.b'], dryRun: false });
    const live = JSON.parse(await kubectl(['get', 'crd', name, '-o', 'json'])) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] } };
    assert.deepEqual(live.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties['b'], { type: 'string', enum: ['a', 'b'] }, 'enum sent as written');

    const dry = await applyCrd(kc, widgetCrd('Namespaced', ['a']), { ...options, dryRun: true });
    assert.deepEqual(dry.changes.fieldsRemoved, ['v1:spec.b']);
    assert.match(await kubectl(['get', 'crd', name, '-o', 'jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.b.type}']), /^string$/);

    await assert.rejects(applyCrd(kc, widgetCrd('Cluster', ['a', 'b']), options), (error: unknown) => {
      assert.ok(error instanceof CrdApplyError);
      assert.match(error.message, new RegExp(`^CRD ${name.replaceAll('.', '\\.')}: the apiserver refuses the change \\(422 Invalid\\): .*spec\\.scope.*immutable`));
      return true;
    });
  });

  it('the command: a dry run of the LogShipper CRD exits 0 and logs it; without RBAC it exits 1 naming the CRD and the refused verb', async () => {
    const dry = await runCommand(['apply', '--dry-run'], process.env['KUBECONFIG'] ?? '');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.lines[0]?.['crd'], `${PLURAL}.${GROUP}`);
    assert.equal(dry.lines[0]['dryRun'], true);

    await createNamespace(kc, namespace);
    const refused = await runCommand(['apply'], await serviceAccountKubeconfig(namespace, 'default'));
    assert.equal(refused.code, 1);
    assert.equal(refused.lines.at(-1)?.['msg'], 'CRD not applied');
    assert.match(String(refused.lines.at(-1)?.['err']), new RegExp(`^CRD ${PLURAL}\\.${GROUP}: cannot read it: permission denied \\(403\\): .*cannot get resource "customresourcedefinitions"`));

    const usage = await runCommand(['apply', '--timeout', '5'], '');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^logshipper crds: --timeout: invalid value "5": a duration such as 500ms, 15s or 5m is allowed\n/);
  });
});
