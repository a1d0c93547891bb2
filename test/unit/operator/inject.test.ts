// The injector without a cluster: the exact sidecar, JSON Patch correctness on pods with and without
// the maps and arrays it extends (and `~1` escaping), idempotence, every reason not to inject, the
// per-pod annotations, and a property test over random pods (the patch applies; one sidecar; a second
// pass changes nothing; the env covers what the renderer refers to).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATIONS, appContainerName, CONTAINER_MODE_DRAIN_QUIET_MS, DEFAULT_RESOURCES, escapePointer, HTTP_PORT_NAME, inject, INJECT_LABEL, INJECTED_LABEL, INJECTION_ANNOTATION,
  isStrict, parseQuantity, type InjectOptions, type JsonPatchOp,
} from '../../../operator/inject.ts';
import { DEFAULT_HTTP_PORT } from '../../../sidecar/http.ts';
import type { LogShipper, LogShipperSpec } from '../../../operator/crd-types.ts';
import { render } from '../../../operator/render.ts';
import { DEFAULT_DRAIN_QUIET_MS } from '../../../sidecar/agent.ts';
import { POD_IDENTITY_ENV } from '../../../sidecar/health-report.ts';
import { parseAgentArgs } from '../../../sidecar/cli.ts';
import { resolveSpec } from '../../../operator/spec.ts';
import {
  CONFIG_FILE_PATH, CONFIG_HASH_ANNOTATION, labelEnvName, LOG_VOLUME_MOUNT_PATH, POSITION_FILE_PATH, SIDECAR_CONTAINER_NAME,
  SASL_PASSWORD_FILE_PATH, SASL_TOKEN_FILE_PATH, SASL_USERNAME_FILE_PATH, STATE_MOUNT_PATH, TLS_CA_FILE_PATH, TLS_CLIENT_CERT_FILE_PATH, TLS_CLIENT_FILE_PATH, TLS_CLIENT_KEY_FILE_PATH,
} from '../../../operator/sidecar-layout.ts';

/** RFC 6902 add/replace/remove/test over plain JSON (enough to check the injector's patches). */
export function applyPatch<T>(document: T, patch: JsonPatchOp[]): T {
  const root = { doc: structuredClone(document) as unknown };
  for (const op of patch) {
    const tokens = op.path === '' ? [] : op.path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let parent: unknown = root;
    let key: string = 'doc';
    for (const token of tokens) {
      const next = (parent as Record<string, unknown>)[key];
      if (typeof next !== 'object' || next === null) throw new Error(`path ${op.path}: ${key} is not a container`);
      parent = next;
      key = token;
    }
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : Number(key);
      if (!(index >= 0 && index <= parent.length)) throw new Error(`path ${op.path}: index out of range`);
      if (op.op === 'add') parent.splice(index, 0, op.value);
      else if (op.op === 'replace') parent[index] = op.value;
      else if (op.op === 'remove') parent.splice(index, 1);
      else same(parent[index], op.value);
    } else {
      const object = parent as Record<string, unknown>;
      if (op.op !== 'add' && !(key in object)) throw new Error(`path ${op.path}: ${op.op} of a missing member`);
      if (op.op === 'add' || op.op === 'replace') object[key] = op.value;
      else if (op.op === 'remove') Reflect.deleteProperty(object, key);
      else same(object[key], op.value);
    }
  }
  return root.doc as T;
}

/** deepEqual without narrowing the actual value's type (later assertions read it as a V1Pod again). */
const same: (actual: unknown, expected: unknown, message?: string) => void = assert.deepEqual;

const SPEC: LogShipperSpec = {
  volume: 'logs',
  files: [{ path: 'app/*.log' }],
  kafka: { brokers: ['kafka:9092'], topic: 'app-logs' },
};

function shipper(spec: LogShipperSpec = SPEC, ready = true): LogShipper {
  return {
    apiVersion: 'logshipper.io/v1alpha1', kind: 'LogShipper',
    metadata: { name: 'app', namespace: 'shop', uid: 'u-1' },
    spec,
    status: {
      configHash: 'abc123',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Reconciled' : 'SecretNotFound', message: ready ? 'ok' : 'Secret kafka-user not found', lastTransitionTime: '2025-01-01T00:00:00Z' }],
    },
  };
}

function pod(annotations: Record<string, string> | null = { 'logshipper.io/inject': 'app' }, extra: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { generateName: 'web-', namespace: 'shop', labels: { [INJECT_LABEL.key]: INJECT_LABEL.value }, ...(annotations === null ? {} : { annotations }) },
    spec: {
      containers: [
        { name: 'proxy', image: 'envoy' },
        { name: 'web', image: 'web:1', volumeMounts: [{ name: 'logs', mountPath: '/var/log/web' }] },
      ],
      volumes: [{ name: 'logs', emptyDir: {} }],
      ...extra,
    },
  };
}

const OPTIONS: InjectOptions = { defaultImage: 'registry.example/logshipper:1.0', defaultMode: 'native', policy: { sidecarImages: ['mine:2'], brokers: [] } };

function injected(p: V1Pod, s: LogShipper | undefined = shipper(), options: InjectOptions = OPTIONS): { pod: V1Pod; patch: JsonPatchOp[] } {
  const result = inject(p, s, options);
  assert.ok('patch' in result, `expected a patch, got ${JSON.stringify(result)}`);
  return { pod: applyPatch(p, result.patch), patch: result.patch };
}

function sidecarOf(p: V1Pod): NonNullable<V1Pod['spec']>['containers'][number] {
  const all = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].filter((c) => c.name === SIDECAR_CONTAINER_NAME);
  assert.equal(all.length, 1, 'exactly one sidecar');
  const [only] = all;
  assert.ok(only);
  return only;
}

describe('inject: the sidecar as specified', () => {
  it('a native sidecar with the layout mounts, downward-API env, probes, securityContext, resources and args', () => {
    const { pod: out } = injected(pod());
    const spec = out.spec;
    assert.ok(spec);
    assert.equal(spec.initContainers?.length, 1);
    assert.equal(spec.containers.length, 2);
    const c = sidecarOf(out);
    same(c, {
      name: 'logshipper',
      image: 'registry.example/logshipper:1.0',
      args: ['agent', '--conf-file', CONFIG_FILE_PATH, '--name', 'logshipper', '--http-port', String(DEFAULT_HTTP_PORT)],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'CONTAINER_NAME', value: 'web' },
      ],
      ports: [{ name: HTTP_PORT_NAME, containerPort: DEFAULT_HTTP_PORT, protocol: 'TCP' }],
      resources: { requests: { cpu: '100m', memory: '48Mi' }, limits: { memory: '256Mi' } },
      volumeMounts: [
        { name: 'logs', mountPath: LOG_VOLUME_MOUNT_PATH, readOnly: true },
        { name: 'logshipper-config', mountPath: '/etc/logshipper', readOnly: true },
        { name: 'logshipper-state', mountPath: STATE_MOUNT_PATH },
      ],
      startupProbe: { httpGet: { path: '/healthz', port: DEFAULT_HTTP_PORT }, periodSeconds: 1, failureThreshold: 60, timeoutSeconds: 2, successThreshold: 1 },
      livenessProbe: { httpGet: { path: '/healthz', port: DEFAULT_HTTP_PORT }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2, successThreshold: 1 },
      securityContext: {
        runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      },
      terminationMessagePolicy: 'FallbackToLogsOnError',
      restartPolicy: 'Always',
    });
    assert.ok(c.volumeMounts?.every((m) => m.subPath === undefined), 'never subPath');
    assert.ok(POSITION_FILE_PATH.startsWith(`${STATE_MOUNT_PATH}/`));
    same(spec.volumes, [
      { name: 'logs', emptyDir: {} },
      { name: 'logshipper-config', configMap: { name: 'app-logshipper', optional: true } },
      { name: 'logshipper-state', emptyDir: { sizeLimit: '16Mi' } },
    ]);
    assert.equal(out.metadata?.labels?.[INJECTED_LABEL], 'app');
    assert.equal(out.metadata.annotations?.[CONFIG_HASH_ANNOTATION], 'abc123');
    same(JSON.parse(out.metadata.annotations[INJECTION_ANNOTATION] ?? ''), {
      logShipper: 'app', configHash: 'abc123', mode: 'native', image: 'registry.example/logshipper:1.0', httpPort: DEFAULT_HTTP_PORT,
    });
    // The app's containers are untouched.
    same(spec.containers, pod().spec?.containers);
  });

  it('JSON Patch: creates absent labels/annotations/initContainers, appends to present ones, escapes / as ~1', () => {
    // Without labels: the injector does not require the opt-in label (the webhook's objectSelector does).
    const bare = pod();
    delete bare.metadata?.labels;
    const { patch } = injected(bare);
    same(patch.map((op) => [op.op, op.path]), [
      ['add', '/metadata/labels'],
      ['add', '/metadata/annotations/logshipper.io~1config-hash'],
      ['add', '/metadata/annotations/logshipper.io~1injection'],
      ['add', '/spec/volumes/-'],
      ['add', '/spec/volumes/-'],
      ['add', '/spec/initContainers'],
    ]);
    const full = pod(null, { initContainers: [{ name: 'migrate', image: 'm' }] });
    full.metadata = { generateName: 'web-', namespace: 'shop', labels: { app: 'web' }, annotations: { 'logshipper.io/inject': 'app', 'a~b/c': 'x' } };
    const { pod: out, patch: patch2 } = injected(full);
    same(patch2.slice(0, 1), [{ op: 'add', path: '/metadata/labels/logshipper.io~1injected', value: 'app' }]);
    same(out.spec?.initContainers?.map((c) => c.name), ['migrate', 'logshipper'], 'appended after the pod\'s own init containers');
    same(out.metadata?.labels, { app: 'web', [INJECTED_LABEL]: 'app' });
    assert.equal(out.metadata?.annotations?.['a~b/c'], 'x');
    assert.equal(escapePointer('a~b/c'), 'a~0b~1c');
  });

  it('plain container mode (annotation or option): appended to containers, no restartPolicy, a drain quiet period', () => {
    const viaAnnotation = injected(pod({ 'logshipper.io/inject': 'app', [ANNOTATIONS.mode]: 'container' })).pod;
    const viaOption = injected(pod(), shipper(), { ...OPTIONS, defaultMode: 'container' }).pod;
    for (const out of [viaAnnotation, viaOption]) {
      assert.equal(out.spec?.initContainers, undefined);
      same(out.spec?.containers.map((c) => c.name), ['proxy', 'web', 'logshipper']);
      assert.equal(sidecarOf(out).restartPolicy, undefined);
      // SIGTERM reaches the app and the agent at once: the agent reads the app's shutdown lines.
      same(sidecarOf(out).args, [
        'agent', '--conf-file', CONFIG_FILE_PATH, '--name', 'logshipper', '--http-port', String(DEFAULT_HTTP_PORT), '--drain-quiet-period', String(CONTAINER_MODE_DRAIN_QUIET_MS),
      ]);
      assert.equal((JSON.parse(out.metadata?.annotations?.[INJECTION_ANNOTATION] ?? '{}') as { mode: string }).mode, 'container');
    }
    // The annotation wins over the option.
    const native = injected(pod({ 'logshipper.io/inject': 'app', [ANNOTATIONS.mode]: 'native' }), shipper(), { ...OPTIONS, defaultMode: 'container' }).pod;
    assert.equal(sidecarOf(native).restartPolicy, 'Always');
    assert.ok(!(sidecarOf(native).args ?? []).includes('--drain-quiet-period'), 'native: the app has exited before the agent drains');
  });

  it('the args are ones the agent accepts: the drain quiet period only in container mode', () => {
    const quietPeriod = (mode: 'native' | 'container'): number | string => {
      const args = sidecarOf(injected(pod({ 'logshipper.io/inject': 'app', [ANNOTATIONS.mode]: mode })).pod).args ?? [];
      assert.equal(args[0], 'agent');
      const parsed = parseAgentArgs(args.slice(1));
      return 'run' in parsed ? parsed.run.drainQuietMs : JSON.stringify(parsed);
    };
    assert.equal(quietPeriod('container'), CONTAINER_MODE_DRAIN_QUIET_MS);
    assert.equal(quietPeriod('native'), DEFAULT_DRAIN_QUIET_MS);
  });

  it('--health-report-url only when the operator knows its Service, and the agent accepts it with the pod identity env it reads', () => {
    const url = 'http://ls-webhook.ops.svc:8080/sidecar-reports';
    const withUrl = sidecarOf(injected(pod(), shipper(), { ...OPTIONS, healthReportUrl: url }).pod);
    const parsed = parseAgentArgs((withUrl.args ?? []).slice(1));
    assert.ok('run' in parsed);
    assert.equal(parsed.run.healthReportUrl, url);
    for (const name of Object.values(POD_IDENTITY_ENV)) assert.ok(withUrl.env?.some((e) => e.name === name && e.valueFrom?.fieldRef !== undefined), name);
    assert.ok(!(sidecarOf(injected(pod()).pod).args ?? []).includes('--health-report-url'), 'no Service known: no flag, the agent does not report');
  });

  it('image and resources from the LogShipper; per-key resource annotations override them; http-port annotation moves args, port and probes', () => {
    const s = shipper({ ...SPEC, sidecar: { image: 'mine:2', resources: { requests: { cpu: '100m', memory: 1000 }, limits: { cpu: 1, memory: '512Mi' } } } });
    const c = sidecarOf(injected(pod({
      'logshipper.io/inject': 'app', [ANNOTATIONS.cpuLimit]: '2', [ANNOTATIONS.memoryRequest]: '128Mi', [ANNOTATIONS.httpPort]: '9555',
    }), s).pod);
    assert.equal(c.image, 'mine:2');
    same(c.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '512Mi' } });
    same(c.args?.slice(-2), ['--http-port', '9555']);
    assert.equal(c.ports?.[0]?.containerPort, 9555);
    assert.equal(c.livenessProbe?.httpGet?.port, 9555);
    assert.equal(c.startupProbe?.httpGet?.port, 9555);
    // Defaults when the LogShipper has none.
    same(sidecarOf(injected(pod()).pod).resources, DEFAULT_RESOURCES);
  });

  it('TLS and SASL Secrets mounted as files at the layout paths (SASL optional, no env vars); listed labels from the downward API', () => {
    const s = shipper({
      ...SPEC,
      kafka: {
        ...SPEC.kafka,
        tls: { ca: { secretName: 'kafka-ca' }, clientCertificate: { secretName: 'kafka-client', key: 'combined.pem' } },
        sasl: { mechanism: 'SCRAM-SHA-512', secretName: 'kafka-user', passwordKey: 'pw' },
      },
      enrichment: { fields: ['PodName', 'Container'], labels: ['app.kubernetes.io/name', 'team'] },
    });
    const out = injected(pod(), s).pod;
    const c = sidecarOf(out);
    same(out.spec?.volumes?.slice(3), [
      { name: 'logshipper-kafka-ca', secret: { secretName: 'kafka-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], optional: true } },
      { name: 'logshipper-kafka-client', secret: { secretName: 'kafka-client', items: [{ key: 'combined.pem', path: 'keystore.pem' }], optional: true } },
      { name: 'logshipper-kafka-sasl', secret: { secretName: 'kafka-user', items: [{ key: 'username', path: 'username' }, { key: 'pw', path: 'password' }], optional: true } },
    ]);
    const mount = (name: string): string | undefined => c.volumeMounts?.find((m) => m.name === name)?.mountPath;
    assert.equal(`${mount('logshipper-kafka-ca') ?? ''}/ca.crt`, TLS_CA_FILE_PATH);
    assert.equal(`${mount('logshipper-kafka-client') ?? ''}/keystore.pem`, TLS_CLIENT_FILE_PATH);
    assert.equal(`${mount('logshipper-kafka-sasl') ?? ''}/username`, SASL_USERNAME_FILE_PATH);
    assert.equal(`${mount('logshipper-kafka-sasl') ?? ''}/password`, SASL_PASSWORD_FILE_PATH);
    assert.ok(c.volumeMounts?.filter((m) => m.name.startsWith('logshipper-kafka')).every((m) => m.readOnly === true));
    const env = new Map(c.env?.map((e) => [e.name, e]));
    same(env.get(labelEnvName('app.kubernetes.io/name'))?.valueFrom, { fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/name']" } });
    same(env.get(labelEnvName('team'))?.valueFrom, { fieldRef: { fieldPath: "metadata.labels['team']" } });
    assert.deepEqual(c.env?.filter((e) => e.valueFrom?.secretKeyRef !== undefined), [], 'no Secret in env vars: a rotated one would not reach the running sidecar');
    // Every ${VAR} of the rendered file is there.
    for (const name of render(resolveSpec(s.spec), { namespace: 'shop', name: 'app' }).env) assert.ok(env.has(name), name);
  });

  it('a kubernetes.io/tls Secret\'s tls.crt and tls.key mounted as two files of one volume, where the rendered config looks', () => {
    const s = shipper({ ...SPEC, kafka: { ...SPEC.kafka, tls: { ca: { secretName: 'app-tls' }, clientCertificate: { secretName: 'app-tls', format: 'KubernetesTLS' } } } });
    const out = injected(pod(), s).pod;
    same(out.spec?.volumes?.slice(3), [
      { name: 'logshipper-kafka-ca', secret: { secretName: 'app-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }], optional: true } },
      { name: 'logshipper-kafka-client', secret: { secretName: 'app-tls', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }], optional: true } },
    ]);
    const mount = sidecarOf(out).volumeMounts?.find((m) => m.name === 'logshipper-kafka-client')?.mountPath;
    assert.deepEqual([`${mount ?? ''}/tls.crt`, `${mount ?? ''}/tls.key`], [TLS_CLIENT_CERT_FILE_PATH, TLS_CLIENT_KEY_FILE_PATH]);
    const text = render(resolveSpec(s.spec), { namespace: 'shop', name: 'app' }).text;
    assert.match(text, new RegExp(`ssl\\.certificate\\.location = ${TLS_CLIENT_CERT_FILE_PATH}$`, 'm'));
    assert.match(text, new RegExp(`ssl\\.key\\.location = ${TLS_CLIENT_KEY_FILE_PATH}$`, 'm'));
  });

  it('OAUTHBEARER: the SASL Secret\'s token key mounted as the token file', () => {
    const s = shipper({ ...SPEC, kafka: { ...SPEC.kafka, sasl: { mechanism: 'OAUTHBEARER', secretName: 'svc-token', tokenKey: 'jwt' } } });
    const out = injected(pod(), s).pod;
    same(out.spec?.volumes?.slice(3), [{ name: 'logshipper-kafka-sasl', secret: { secretName: 'svc-token', items: [{ key: 'jwt', path: 'token' }], optional: true } }]);
    const mount = sidecarOf(out).volumeMounts?.find((m) => m.name === 'logshipper-kafka-sasl')?.mountPath;
    assert.equal(`${mount ?? ''}/token`, SASL_TOKEN_FILE_PATH);
  });

  it('CONTAINER_NAME is the first container mounting the volume, else the first container', () => {
    assert.equal(appContainerName(pod(), 'logs'), 'web');
    assert.equal(appContainerName(pod(), 'other'), 'proxy');
  });
});

describe('inject: idempotent, opt-in', () => {
  it('a pod without the annotation gets no patch; an injected pod is left alone (re-invocation)', () => {
    same(inject(pod(null), shipper(), OPTIONS), { skip: { reason: 'NotRequested', message: 'no logshipper.io/inject annotation', failure: false } });
    const once = injected(pod()).pod;
    const again = inject(once, shipper(), OPTIONS);
    assert.ok('skip' in again);
    assert.equal(again.skip.reason, 'AlreadyInjected');
    assert.equal(again.skip.failure, false);
    // Also in plain container mode, and even when the LogShipper is gone by then.
    const plain = injected(pod({ 'logshipper.io/inject': 'app', [ANNOTATIONS.mode]: 'container' })).pod;
    const result = inject(plain, undefined, OPTIONS);
    assert.ok('skip' in result && result.skip.reason === 'AlreadyInjected');
  });
});

describe('inject: when the sidecar cannot be injected (failures)', () => {
  const reason = (p: V1Pod, s: LogShipper | undefined): [string, string, boolean] => {
    const result = inject(p, s, OPTIONS);
    assert.ok('skip' in result, 'expected a skip');
    return [result.skip.reason, result.skip.message, result.skip.failure];
  };
  it('LogShipper missing, not Ready, not reconciled yet', () => {
    same(reason(pod(), undefined), ['LogShipperNotFound', 'LogShipper app not found in namespace shop (logshipper.io/inject)', true]);
    same(reason(pod(), shipper(SPEC, false)), ['LogShipperNotReady', 'LogShipper app is not ready (Ready=False SecretNotFound: Secret kafka-user not found)', true]);
    const fresh = shipper();
    delete fresh.status;
    same(reason(pod(), fresh), ['LogShipperNotReady', 'LogShipper app is not ready (not reconciled yet)', true]);
    // Being deleted (held by the operator's finalizer while its pods remain): Ready still, but no new pod gets it.
    const deleting = shipper();
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: new Date() };
    same(reason(pod(), deleting), ['LogShipperNotReady', 'LogShipper app is being deleted', true]);
  });
  it('volume not in the pod; a volume name the sidecar needs is taken', () => {
    same(reason(pod({ 'logshipper.io/inject': 'app' }, { volumes: [{ name: 'data', emptyDir: {} }] }), shipper()),
      ['VolumeNotFound', 'the pod has no volume "logs" (spec.volume of LogShipper app); its volumes: data', true]);
    assert.equal(reason(pod(null, {}), shipper())[0], 'NotRequested');
    same(reason(pod({ 'logshipper.io/inject': 'app' }, { volumes: [{ name: 'logs', emptyDir: {} }, { name: 'logshipper-state', emptyDir: {} }] }), shipper()),
      ['NameConflict', 'the pod already has volumes named logshipper-state, which the sidecar needs', true]);
  });
  it('bad annotations are named, with what is allowed', () => {
    const bad = (annotations: Record<string, string>): string => reason(pod({ 'logshipper.io/inject': 'app', ...annotations }), shipper())[1];
    assert.match(reason(pod({ 'logshipper.io/inject': 'App_1' }), shipper())[1], /logshipper\.io\/inject: invalid value "App_1"/);
    assert.equal(bad({ [ANNOTATIONS.mode]: 'sidecar' }), 'logshipper.io/sidecar-mode: invalid value "sidecar": native or container is allowed');
    assert.equal(bad({ [ANNOTATIONS.cpuRequest]: 'lots' }), 'logshipper.io/sidecar-cpu-request: invalid value "lots": a quantity such as 100m, 0.5, 128Mi is allowed');
    assert.equal(bad({ [ANNOTATIONS.httpPort]: '70000' }), 'logshipper.io/sidecar-http-port: invalid value "70000": a port 1024..65535 is allowed');
    assert.equal(bad({ [ANNOTATIONS.httpPort]: '80' }), 'logshipper.io/sidecar-http-port: invalid value "80": a port 1024..65535 is allowed', 'the same range as spec.sidecar.httpPort');
    assert.equal(bad({ [ANNOTATIONS.strict]: 'yes' }), 'logshipper.io/inject-strict: invalid value "yes": true or false is allowed');
    assert.equal(bad({ [ANNOTATIONS.memoryRequest]: '1Gi' }), 'sidecar memory request 1Gi exceeds its limit 256Mi');
  });
  it('strictness: the annotation, else the operator default', () => {
    assert.equal(isStrict(pod(), false), false);
    assert.equal(isStrict(pod(), true), true);
    assert.equal(isStrict(pod({ [ANNOTATIONS.strict]: 'true' }), false), true);
    assert.equal(isStrict(pod({ [ANNOTATIONS.strict]: 'false' }), true), false);
  });
  it('quantities', () => {
    assert.equal(parseQuantity('100m'), 0.1);
    assert.equal(parseQuantity('128Mi'), 128 * 2 ** 20);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity(3), 3);
    assert.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
    assert.equal(parseQuantity('12 Mi'), undefined);
  });
});

describe('inject: what a LogShipper author may ask for', () => {
  const result = (p: V1Pod, s: LogShipper, options: InjectOptions = OPTIONS): [string, string] => {
    const r = inject(p, s, options);
    return 'skip' in r ? [r.skip.reason, r.skip.message] : ['injected', r.container.image ?? ''];
  };
  it('spec.sidecar.image only from the allow-list (the default is always allowed); refused even while the status still says Ready (not reconciled yet)', () => {
    const withImage = (image: string): LogShipper => shipper({ ...SPEC, sidecar: { image } });
    same(result(pod(), withImage('evil.example/miner:1')), ['ImageNotAllowed',
      'LogShipper app: spec.sidecar.image: image "evil.example/miner:1" is not allowed by the cluster admin: remove the field (the operator\'s default image) or name an allowed image, '
      + 'or ask the cluster admin to allow it (operator flag --allowed-sidecar-images, chart value sidecar.allowedImages); until then pods are not injected; allowed: registry.example/logshipper:1.0 (the operator\'s default), mine:2']);
    same(result(pod(), withImage('mine:2')), ['injected', 'mine:2']);
    same(result(pod(), withImage('registry.example/logshipper:1.0')), ['injected', 'registry.example/logshipper:1.0']);
    const prefixes: InjectOptions = { ...OPTIONS, policy: { sidecarImages: ['registry.example/team/*', 'registry.example/agent:*'], brokers: [] } };
    same(result(pod(), withImage('registry.example/team/agent:3'), prefixes), ['injected', 'registry.example/team/agent:3']);
    same(result(pod(), withImage('registry.example/agent:9'), prefixes), ['injected', 'registry.example/agent:9']);
    assert.equal(result(pod(), withImage('registry.example/team-evil/agent:3'), prefixes)[0], 'ImageNotAllowed');
    assert.equal(result(pod(), withImage('registry.example/agent-evil:9'), prefixes)[0], 'ImageNotAllowed');
    const failure = inject(pod(), withImage('evil.example/miner:1'), OPTIONS);
    assert.ok('skip' in failure && failure.skip.failure, 'a failure: Event, metric, denied in strict mode');
  });

  it('spec.kafka.brokers only from the allow-list when there is one', () => {
    const to = (...brokers: string[]): LogShipper => shipper({ ...SPEC, kafka: { ...SPEC.kafka, brokers } });
    const policy = (...brokers: string[]): InjectOptions => ({ ...OPTIONS, policy: { sidecarImages: [], brokers } });
    assert.equal(result(pod(), to('anywhere.example:1234'))[0], 'injected', 'no list: any broker');
    const allowed = policy('kafka-0.infra:9092', '*.kafka.infra.svc:9093', '*.any.port:*');
    same(result(pod(), to('kafka-0.infra:9092', 'b-1.kafka.infra.svc:9093', 'X.Any.Port:1'), allowed), ['injected', 'registry.example/logshipper:1.0']);
    same(result(pod(), to('kafka-0.infra:9092', 'evil.example:9092'), allowed), ['BrokerNotAllowed',
      'LogShipper app: spec.kafka.brokers[1]: broker "evil.example:9092" is not allowed by the cluster admin: name an allowed broker, or ask the cluster admin to allow it '
      + '(operator flag --allowed-brokers, chart value kafka.allowedBrokers); until then the ConfigMap keeps its brokers and pods are not injected; allowed: kafka-0.infra:9092, *.kafka.infra.svc:9093, *.any.port:*']);
    for (const refused of ['kafka-0.infra:9093', 'kafka.infra.svc:9093', 'b-1.kafka.infra.svc.evil.example:9093', 'b-1.evilkafka.infra.svc:9093']) {
      assert.equal(result(pod(), to(refused), allowed)[0], 'BrokerNotAllowed', refused);
    }
  });

  it('spec.volume must be an emptyDir, a PVC or a generic ephemeral volume: any other type is named and refused', () => {
    const withLogs = (volume: NonNullable<NonNullable<V1Pod['spec']>['volumes']>[number]): V1Pod => pod({ 'logshipper.io/inject': 'app' }, { volumes: [volume] });
    for (const volume of [
      { name: 'logs', emptyDir: {} },
      { name: 'logs', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'logs', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
    ]) assert.equal(result(withLogs(volume), shipper())[0], 'injected', JSON.stringify(volume));
    const refused: [string, NonNullable<NonNullable<V1Pod['spec']>['volumes']>[number]][] = [
      ['secret', { name: 'logs', secret: { secretName: 'db-password' } }],
      ['configMap', { name: 'logs', configMap: { name: 'settings' } }],
      ['projected', { name: 'logs', projected: { sources: [] } }],
      ['downwardAPI', { name: 'logs', downwardAPI: { items: [] } }],
      ['hostPath', { name: 'logs', hostPath: { path: '/var/log' } }],
      ['nfs', { name: 'logs', nfs: { server: 'nfs', path: '/' } }],
    ];
    for (const [type, volume] of refused) {
      same(result(withLogs(volume), shipper()), ['VolumeTypeNotAllowed', `the pod's volume "logs" (spec.volume of LogShipper app) is of type ${type}: `
        + 'only emptyDir, persistentVolumeClaim, ephemeral volumes may be shipped from (the sidecar must never read a Secret\'s, a ConfigMap\'s or the node\'s files)']);
    }
  });

  it('the HTTP port: the default, spec.sidecar.httpPort, the annotation winning; moved past the ports the pod declares (recorded); the port is named', () => {
    const portOf = (p: V1Pod, s: LogShipper = shipper()): { port: number | undefined; record: Record<string, unknown> } => {
      const out = injected(p, s).pod;
      const c = sidecarOf(out);
      assert.equal(c.ports?.[0]?.name, HTTP_PORT_NAME);
      const port = c.ports[0].containerPort;
      same([c.args?.at(-1), c.startupProbe?.httpGet?.port, c.livenessProbe?.httpGet?.port], [String(port), port, port]);
      return { port, record: JSON.parse(out.metadata?.annotations?.[INJECTION_ANNOTATION] ?? '{}') as Record<string, unknown> };
    };
    assert.equal(portOf(pod()).port, DEFAULT_HTTP_PORT);
    const own = shipper({ ...SPEC, sidecar: { httpPort: 9100 } });
    assert.equal(portOf(pod(), own).port, 9100);
    assert.equal(portOf(pod({ 'logshipper.io/inject': 'app', [ANNOTATIONS.httpPort]: '9200' }), own).port, 9200);
    // The app (or its init container) declares the port: the next free one, said in the record.
    const busy = pod({ 'logshipper.io/inject': 'app' }, {
      initContainers: [{ name: 'warm', image: 'w', ports: [{ containerPort: DEFAULT_HTTP_PORT + 1 }] }],
      containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: DEFAULT_HTTP_PORT }, { containerPort: 8080 }] }],
    });
    const moved = portOf(busy);
    assert.equal(moved.port, DEFAULT_HTTP_PORT + 2);
    same([moved.record['httpPort'], moved.record['httpPortMovedFrom']], [DEFAULT_HTTP_PORT + 2, DEFAULT_HTTP_PORT]);
    assert.equal(portOf(pod()).record['httpPortMovedFrom'], undefined);
  });
});

describe('inject: property (random pods)', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const map = fc.option(fc.dictionary(fc.stringMatching(/^[a-z~/.]{1,12}$/), fc.string({ maxLength: 5 }), { maxKeys: 3 }), { nil: undefined });
  const container = name.map((n) => ({ name: `c-${n}`, image: 'x' }));
  it('the patch applies, adds exactly one sidecar and keeps everything else; a second pass is a no-op', () => {
    fc.assert(fc.property(
      map, map, fc.option(fc.array(container, { maxLength: 3 }), { nil: undefined }), fc.array(container, { minLength: 1, maxLength: 3 }),
      fc.array(name, { maxLength: 3 }), fc.constantFrom<'native' | 'container'>('native', 'container'),
      (labels, annotations, initContainers, containers, volumeNames, mode) => {
        const p: V1Pod = {
          metadata: {
            namespace: 'shop',
            labels: { ...labels, [INJECT_LABEL.key]: INJECT_LABEL.value },
            annotations: { ...annotations, 'logshipper.io/inject': 'app' },
          },
          spec: {
            containers,
            ...(initContainers === undefined ? {} : { initContainers }),
            volumes: [...new Set(['logs', ...volumeNames])].map((v) => ({ name: v, emptyDir: {} })),
          },
        };
        const { pod: out } = injected(p, shipper(), { ...OPTIONS, defaultMode: mode });
        sidecarOf(out);
        same(out.spec?.containers.filter((c) => c.name !== 'logshipper'), containers);
        same(out.spec?.initContainers?.filter((c) => c.name !== 'logshipper') ?? [], initContainers ?? []);
        for (const [k, v] of Object.entries(labels ?? {})) assert.equal(out.metadata?.labels?.[k], v);
        for (const [k, v] of Object.entries(annotations ?? {})) {
          if (!k.startsWith('logshipper.io/')) assert.equal(out.metadata?.annotations?.[k], v);
        }
        const second = inject(out, shipper(), OPTIONS);
        assert.ok('skip' in second && second.skip.reason === 'AlreadyInjected');
      },
    ), { seed: 7, numRuns: 300 });
  });
});
