// The Helm chart (charts/logshipper): one CRD source of truth, lint, rendered objects for default and
// non-default values, schema errors, install/upgrade/uninstall against the real kube-apiserver, and
// least-privilege RBAC proven from the apiserver's audit log: the operator runs as the chart's
// ServiceAccount through every code path; none of its requests is refused and every rule is used.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Deployment, type V1Job, type V1MutatingWebhookConfiguration, type V1Pod } from '@kubernetes/client-node';
import { eventually, kubeConfig, unique } from '../env/testing.ts';
import { INJECT_LABEL } from '../../operator/inject.ts';
import { DELIVERY_ANNOTATION } from '../../operator/sidecar-health.ts';
import { postReport, setPodIp, unscheduled } from '../helpers/sidecar-report.ts';
import { injectMetadata } from '../helpers/app-workload.ts';
import { freePorts } from '../env/ports.ts';
import { createNamespace, deleteNamespace, installCrd, releaseFinalizers, Shippers } from './operator/helpers.ts';
import { parseOperatorArgs } from '../../operator/cli.ts';
import { parseCrdsArgs } from '../../operator/crds-command.ts';
import { GROUP, PLURAL } from '../../operator/crd-types.ts';
import type { OperatorProcess } from './operator/helpers.ts';
import {
  AuditLog, auditResource, CHART, helm, helmRun, kinds, kubectl, localOperatorCommand, only, parseObjects, rbacRules, ROOT, ruleGrants,
  serviceAccountKubeconfig, spawnOperator, template, valuesFile, type AuditEvent, type K8sObject, type ScopedRule,
} from '../helpers/chart.ts';

const NS = 'logshipper-system';

interface Container {
  name: string;
  image: string;
  args: string[];
  env?: { name: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

function deploymentOf(objects: K8sObject[]): V1Deployment {
  return only(objects, 'Deployment');
}

function operatorContainer(objects: K8sObject[]): Container {
  const deployment = deploymentOf(objects);
  const container = deployment.spec?.template.spec?.containers[0];
  assert.ok(container !== undefined);
  return container as Container;
}

/** The `--flag=value` args as a map. */
function flags(container: Container): Map<string, string> {
  return new Map(container.args.slice(1).map((arg) => {
    const eq = arg.indexOf('=');
    return [arg.slice(0, eq), arg.slice(eq + 1)] as [string, string];
  }));
}

function webhookOf(objects: K8sObject[]): NonNullable<V1MutatingWebhookConfiguration['webhooks']>[number] {
  const webhook = (only(objects, 'MutatingWebhookConfiguration') as unknown as V1MutatingWebhookConfiguration).webhooks?.[0];
  assert.ok(webhook !== undefined);
  return webhook;
}

function rulesOf(objects: K8sObject[], kind: string, name: string): unknown {
  return only(objects, kind, name)['rules'];
}

/** A Helm hook (helm template renders hooks with the release's objects; only `helm upgrade` runs them). */
function isHook(object: K8sObject): boolean {
  return object.metadata.annotations?.['helm.sh/hook'] !== undefined;
}

/** The operator's rules where it watches (the same for a ClusterRole and a one-namespace Role). */
const WATCH_RULES = [
  { apiGroups: ['logshipper.io'], resources: ['logshippers'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['logshipper.io'], resources: ['logshippers/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];
const PODS_RULE = 4;

describe('helm chart charts/logshipper', () => {
  it('ships the CRD byte for byte as crds/ has it (one source of truth)', () => {
    const source = readFileSync(join(ROOT, 'crds', 'logshipper.io_logshippers.yaml'));
    const copy = readFileSync(join(CHART, 'crds', 'logshipper.io_logshippers.yaml'));
    assert.ok(source.equals(copy), 'charts/logshipper/crds/logshipper.io_logshippers.yaml differs from crds/logshipper.io_logshippers.yaml: copy it over');
  });

  it('helm lint reports no warning and no error (default and non-default values)', async () => {
    for (const values of [{}, { webhook: { enabled: false } }, { webhook: { certManager: { enabled: true } } }, { operator: { watchNamespace: 'shop' } }, { crds: { upgradeJob: { enabled: false } } }]) {
      const result = await helmRun(['lint', '--strict', CHART, '-f', valuesFile(values)]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/, result.stdout);
      assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  describe('helm template', () => {
    it('default values: CRD-less templates of the operator, RBAC, webhook Service and configuration, PDB', async () => {
      const objects = await template('shop', NS);
      assert.deepEqual(kinds(objects), [
        'ClusterRole/shop-logshipper', 'ClusterRole/shop-logshipper-crd-upgrade', 'ClusterRoleBinding/shop-logshipper', 'ClusterRoleBinding/shop-logshipper-crd-upgrade',
        'Deployment/shop-logshipper', 'Job/shop-logshipper-crd-upgrade', 'MutatingWebhookConfiguration/shop-logshipper',
        'PodDisruptionBudget/shop-logshipper', 'Role/shop-logshipper', 'RoleBinding/shop-logshipper', 'Service/shop-logshipper-webhook', 'ServiceAccount/shop-logshipper',
        'ServiceAccount/shop-logshipper-crd-upgrade',
      ]);
      for (const object of objects.filter((o) => !o.kind.startsWith('Cluster') && o.kind !== 'MutatingWebhookConfiguration')) {
        assert.equal(object.metadata.namespace, NS, `${object.kind} in the release namespace`);
      }

      const deployment = deploymentOf(objects);
      assert.equal(deployment.spec?.replicas, 2);
      const pod = deployment.spec.template.spec;
      assert.equal(pod?.serviceAccountName, 'shop-logshipper');
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      const container = operatorContainer(objects);
      assert.equal(container.image, 'ghcr.io/logshipper/logshipper:0.2.0');
      assert.equal(container.args[0], 'operator');
      assert.deepEqual(Object.fromEntries(flags(container)), {
        '--namespace': 'all', '--leader-elect': 'true', '--lease-name': 'shop-logshipper', '--lease-duration': '15s', '--renew-deadline': '10s',
        '--retry-period': '2s', '--metrics-port': '8080', '--workers': '2', '--log-level': 'info', '--webhook-port': '9443',
        '--webhook-config': 'shop-logshipper', '--webhook-service': 'shop-logshipper-webhook',
        '--sidecar-report-service': 'shop-logshipper-webhook', '--sidecar-report-port': '8080', '--sidecar-image': 'ghcr.io/logshipper/logshipper:0.2.0',
        '--sidecar-mode': 'native', '--inject-strict': 'false', '--webhook-cert-secret': 'shop-logshipper-webhook-tls',
      });
      const c = pod.containers[0];
      assert.equal(c?.livenessProbe?.httpGet?.path, '/healthz');
      assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
      assert.deepEqual(c.env, [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }]);
      assert.equal(c.volumeMounts, undefined);

      const service = only(objects, 'Service') as unknown as { spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] } };
      assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
      assert.deepEqual(service.spec.ports, [{ name: 'webhook', port: 443, targetPort: 'webhook' }, { name: 'metrics', port: 8080, targetPort: 'metrics' }]);

      const webhook = webhookOf(objects);
      assert.equal(webhook.name, 'inject.logshipper.io');
      assert.deepEqual(webhook.clientConfig, { service: { name: 'shop-logshipper-webhook', namespace: NS, path: '/mutate', port: 443 } });
      assert.equal(webhook.failurePolicy, 'Ignore');
      assert.equal(webhook.timeoutSeconds, 5);
      assert.equal(webhook.sideEffects, 'NoneOnDryRun');
      assert.equal(webhook.reinvocationPolicy, 'IfNeeded');
      assert.deepEqual(webhook.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
      assert.deepEqual(webhook.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [NS, 'kube-system'] }] });
      // Only pods with the opt-in label are sent to the webhook: the key and value of operator/inject.ts.
      assert.deepEqual(webhook.objectSelector, { matchLabels: { [INJECT_LABEL.key]: INJECT_LABEL.value } });

      assert.deepEqual(rulesOf(objects, 'ClusterRole', 'shop-logshipper'), [
        ...WATCH_RULES,
        { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['shop-logshipper'], verbs: ['get', 'patch'] },
      ]);
      assert.deepEqual(rulesOf(objects, 'Role', 'shop-logshipper'), [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['shop-logshipper-webhook-tls'], verbs: ['get', 'update'] },
      ]);
      for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
        assert.deepEqual(only(objects, kind, 'shop-logshipper')['subjects'], [{ kind: 'ServiceAccount', name: 'shop-logshipper', namespace: NS }]);
      }
      const pdb = only(objects, 'PodDisruptionBudget') as unknown as { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
      assert.equal(pdb.spec.minAvailable, 1);
      assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    });

    it('a release name containing "logshipper" is the full name; fullnameOverride wins', async () => {
      assert.ok((await template('logshipper', NS)).some((o) => o.kind === 'Deployment' && o.metadata.name === 'logshipper'));
      assert.ok((await template('x', NS, { fullnameOverride: 'ls' })).every((o) => o.metadata.name === 'ls' || o.metadata.name.startsWith('ls-')));
    });

    it('webhook.enabled=false: the Service with the metrics port only, no webhook configuration, no webhook flags or RBAC for it', async () => {
      const objects = (await template('shop', NS, { webhook: { enabled: false } })).filter((o) => !isHook(o));
      assert.deepEqual(kinds(objects), [
        'ClusterRole/shop-logshipper', 'ClusterRoleBinding/shop-logshipper', 'Deployment/shop-logshipper', 'PodDisruptionBudget/shop-logshipper',
        'Role/shop-logshipper', 'RoleBinding/shop-logshipper', 'Service/shop-logshipper-webhook', 'ServiceAccount/shop-logshipper',
      ]);
      const service = only(objects, 'Service') as unknown as { spec: { ports: { name: string; port: number; targetPort: string }[] } };
      assert.deepEqual(service.spec.ports, [{ name: 'metrics', port: 8080, targetPort: 'metrics' }]);
      const args = flags(operatorContainer(objects));
      assert.deepEqual([...args.keys()].filter((k) => k.startsWith('--webhook') || k.startsWith('--sidecar') || k === '--inject-strict'), []);
      // No webhook: no LogShipper reads outside the informer's list/watch; no injected sidecar reports, so no pod get/patch.
      assert.deepEqual(rulesOf(objects, 'ClusterRole', 'shop-logshipper'), [
        { ...WATCH_RULES[0], verbs: ['list', 'watch', 'patch'] }, ...WATCH_RULES.slice(1, PODS_RULE),
        { ...WATCH_RULES[PODS_RULE], verbs: ['list', 'watch'] }, ...WATCH_RULES.slice(PODS_RULE + 1),
      ]);
      assert.deepEqual(rulesOf(objects, 'Role', 'shop-logshipper'), [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    });

    it('webhook.certManager.enabled without issuerRef: a self-signed Issuer, a Certificate, the CA injected by cert-manager, the certificate mounted', async () => {
      const objects = await template('shop', NS, { webhook: { certManager: { enabled: true } } });
      const issuer = only(objects, 'Issuer', 'shop-logshipper-selfsigned');
      assert.deepEqual(issuer['spec'], { selfSigned: {} });
      assert.equal(issuer.metadata.namespace, NS);
      const certificate = only(objects, 'Certificate', 'shop-logshipper-webhook');
      assert.deepEqual(certificate['spec'], {
        secretName: 'shop-logshipper-webhook-tls',
        dnsNames: [`shop-logshipper-webhook.${NS}.svc`, `shop-logshipper-webhook.${NS}.svc.cluster.local`],
        issuerRef: { name: 'shop-logshipper-selfsigned', kind: 'Issuer' },
      });
      assert.equal(only(objects, 'MutatingWebhookConfiguration').metadata.annotations?.['cert-manager.io/inject-ca-from'], `${NS}/shop-logshipper-webhook`);
      const container = operatorContainer(objects);
      const args = flags(container);
      assert.equal(args.get('--webhook-cert-dir'), '/var/run/secrets/logshipper/webhook-tls');
      assert.equal(args.has('--webhook-cert-secret'), false);
      assert.deepEqual(container.volumeMounts, [{ name: 'webhook-tls', mountPath: '/var/run/secrets/logshipper/webhook-tls', readOnly: true }]);
      assert.deepEqual(deploymentOf(objects).spec?.template.spec?.volumes, [{ name: 'webhook-tls', secret: { secretName: 'shop-logshipper-webhook-tls' } }]);
      // cert-manager writes the Secret and the caBundle: the operator needs neither Secret writes nor the webhook configuration.
      assert.deepEqual(rulesOf(objects, 'ClusterRole', 'shop-logshipper'), WATCH_RULES);
      assert.deepEqual(rulesOf(objects, 'Role', 'shop-logshipper'), [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    });

    it('webhook.certManager.issuerRef: the given issuer, no Issuer of our own', async () => {
      const objects = await template('shop', NS, { webhook: { certManager: { enabled: true, issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } } });
      assert.equal(objects.filter((o) => o.kind === 'Issuer').length, 0);
      assert.deepEqual((only(objects, 'Certificate')['spec'] as { issuerRef: unknown }).issuerRef, { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    });

    it('failurePolicy Fail, strict injection, timeout, selectors, sidecar mode and image are passed through', async () => {
      const objects = await template('shop', NS, {
        webhook: { failurePolicy: 'Fail', strict: true, timeoutSeconds: 3, namespaceSelector: { matchLabels: { logs: 'on' } }, objectSelector: { matchLabels: { app: 'web' } } },
        sidecar: { mode: 'container', image: 'registry.example/agent:1.2' },
        image: { repository: 'registry.example/logshipper', tag: '9.9.9', pullPolicy: 'Always' },
      });
      const webhook = webhookOf(objects);
      assert.equal(webhook.failurePolicy, 'Fail');
      assert.equal(webhook.timeoutSeconds, 3);
      assert.deepEqual(webhook.namespaceSelector, { matchLabels: { logs: 'on' } });
      assert.deepEqual(webhook.objectSelector, { matchLabels: { app: 'web' } });
      const container = operatorContainer(objects);
      assert.equal(container.image, 'registry.example/logshipper:9.9.9');
      const args = flags(container);
      assert.equal(args.get('--sidecar-mode'), 'container');
      assert.equal(args.get('--sidecar-image'), 'registry.example/agent:1.2');
      assert.equal(args.get('--inject-strict'), 'true');
      assert.equal(args.has('--allowed-sidecar-images'), false, 'empty lists: no flag');
      assert.equal(args.has('--allowed-brokers'), false);
    });

    it('sidecar.allowedImages and kafka.allowedBrokers: comma-joined flags the operator accepts (brokers even without the webhook)', async () => {
      const values = { sidecar: { allowedImages: ['registry.example/team/*', 'agent:1'] }, kafka: { allowedBrokers: ['*.kafka.infra.svc:9093', 'kafka-0:9092'] } };
      const args = flags(operatorContainer(await template('shop', NS, values)));
      assert.equal(args.get('--allowed-sidecar-images'), 'registry.example/team/*,agent:1');
      assert.equal(args.get('--allowed-brokers'), '*.kafka.infra.svc:9093,kafka-0:9092');
      const parsed = parseOperatorArgs([`--allowed-sidecar-images=${args.get('--allowed-sidecar-images') ?? ''}`, `--allowed-brokers=${args.get('--allowed-brokers') ?? ''}`]);
      assert.ok(parsed !== 'help');
      assert.deepEqual([parsed.allowedSidecarImages, parsed.allowedBrokers], [values.sidecar.allowedImages, values.kafka.allowedBrokers]);
      const noWebhook = flags(operatorContainer(await template('shop', NS, { ...values, webhook: { enabled: false } })));
      assert.equal(noWebhook.get('--allowed-brokers'), '*.kafka.infra.svc:9093,kafka-0:9092');
    });

    it('replicaCount 1: no PodDisruptionBudget (it would block every drain); leader election off: no Lease rule', async () => {
      const one = await template('shop', NS, { replicaCount: 1 });
      assert.equal(deploymentOf(one).spec?.replicas, 1);
      assert.equal(one.filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
      const noElection = await template('shop', NS, { replicaCount: 1, operator: { leaderElection: { enabled: false } } });
      assert.equal(flags(operatorContainer(noElection)).get('--leader-elect'), 'false');
      assert.deepEqual((rulesOf(noElection, 'Role', 'shop-logshipper') as ScopedRule[]).map((r) => r.resources[0]), ['secrets', 'secrets']);
    });

    it('operator.watchNamespace: --namespace, a Role in that namespace instead of cluster-wide rules, the webhook limited to it', async () => {
      const objects = await template('shop', NS, { operator: { watchNamespace: 'shop-prod' } });
      assert.equal(flags(operatorContainer(objects)).get('--namespace'), 'shop-prod');
      // Cluster-wide: only the webhook configuration (a cluster-scoped object).
      assert.deepEqual(rulesOf(objects, 'ClusterRole', 'shop-logshipper'), [
        { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['shop-logshipper'], verbs: ['get', 'patch'] },
      ]);
      const watch = only(objects, 'Role', 'shop-logshipper-watch');
      assert.equal(watch.metadata.namespace, 'shop-prod');
      assert.deepEqual(watch['rules'], WATCH_RULES);
      const binding = only(objects, 'RoleBinding', 'shop-logshipper-watch');
      assert.equal(binding.metadata.namespace, 'shop-prod');
      assert.deepEqual(binding['subjects'], [{ kind: 'ServiceAccount', name: 'shop-logshipper', namespace: NS }]);
      assert.deepEqual(rulesOf(objects, 'Role', 'shop-logshipper'), [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['shop-logshipper-webhook-tls'], verbs: ['get', 'update'] },
      ]);
      assert.deepEqual(webhookOf(objects).namespaceSelector, { matchLabels: { 'kubernetes.io/metadata.name': 'shop-prod' } });
      // Without the webhook there is nothing cluster-wide at all (but the CRD upgrade hook's, there only during an upgrade).
      const quiet = await template('shop', NS, { operator: { watchNamespace: 'shop-prod' }, webhook: { enabled: false } });
      assert.equal(quiet.filter((o) => o.kind.startsWith('Cluster') && !isHook(o)).length, 0);
    });

    it('crds.upgradeJob (on by default): pre-upgrade hooks, RBAC first, a Job running `crds apply` with the image and the operator\'s securityContext', async () => {
      const objects = await template('shop', NS);
      const hooks = objects.filter(isHook);
      const name = 'shop-logshipper-crd-upgrade';
      assert.deepEqual(kinds(hooks), [`ClusterRole/${name}`, `ClusterRoleBinding/${name}`, `Job/${name}`, `ServiceAccount/${name}`]);
      for (const hook of hooks) {
        assert.equal(hook.metadata.annotations?.['helm.sh/hook'], 'pre-upgrade', `${hook.kind} runs before an upgrade only`);
        assert.equal(hook.metadata.annotations['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
      }
      const weight = (kind: string): number => Number(only(hooks, kind).metadata.annotations?.['helm.sh/hook-weight']);
      assert.ok(weight('ServiceAccount') < weight('ClusterRoleBinding') && weight('ClusterRole') < weight('ClusterRoleBinding'), 'the ServiceAccount and ClusterRole before the binding');
      assert.ok(weight('ClusterRoleBinding') < weight('Job'), 'the RBAC before the Job');
      assert.deepEqual(rulesOf(hooks, 'ClusterRole', name), [
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], resourceNames: [`${PLURAL}.${GROUP}`], verbs: ['get', 'patch'] },
      ]);
      assert.deepEqual(only(hooks, 'ClusterRoleBinding')['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
      assert.deepEqual(only(hooks, 'ClusterRoleBinding')['subjects'], [{ kind: 'ServiceAccount', name, namespace: NS }]);
      assert.equal(only(hooks, 'ServiceAccount').metadata.namespace, NS);

      const job = only(hooks, 'Job') as unknown as V1Job;
      assert.equal(job.metadata?.namespace, NS);
      assert.equal(job.spec?.backoffLimit, 2);
      assert.equal(job.spec.activeDeadlineSeconds, 300);
      const pod = job.spec.template.spec;
      assert.equal(pod?.serviceAccountName, name);
      assert.equal(pod.restartPolicy, 'Never');
      const operatorPod = deploymentOf(objects).spec?.template.spec;
      assert.deepEqual(pod.securityContext, operatorPod?.securityContext);
      const [container] = pod.containers;
      assert.equal(container?.image, operatorContainer(objects).image, 'the chart\'s image: it carries the CRD of this version');
      assert.deepEqual(container.securityContext, operatorPod?.containers[0]?.securityContext);
      assert.deepEqual(container.resources, { requests: { cpu: '10m', memory: '128Mi' }, limits: { memory: '192Mi' } });
      const args = container.args ?? [];
      assert.deepEqual(args.slice(0, 2), ['crds', 'apply']);
      const parsed = parseCrdsArgs(args.slice(1));
      assert.ok(parsed !== 'help');
      assert.deepEqual(parsed, { dryRun: false, timeoutMs: 60_000, logLevel: 'info' });
      // Not the operator's pod labels: its Service and PodDisruptionBudget must not select the Job's pod.
      const selector = Object.entries(deploymentOf(objects).spec?.selector.matchLabels ?? {});
      const labels = job.spec.template.metadata?.labels ?? {};
      assert.ok(!selector.every(([key, value]) => labels[key] === value), `the Job's pod labels ${JSON.stringify(labels)} match the operator's selector`);
    });

    it('crds.upgradeJob values pass through; enabled=false renders none of the hook objects', async () => {
      const job = only(await template('shop', NS, {
        crds: { upgradeJob: {
          backoffLimit: 0, activeDeadlineSeconds: 90, establishedTimeout: '2m', resources: { requests: { cpu: '20m', memory: '80Mi' }, limits: { memory: '100Mi' } }, podAnnotations: { team: 'logs' },
          nodeSelector: { pool: 'system' }, tolerations: [{ key: 'system', operator: 'Exists', effect: 'NoSchedule' }],
        } },
        operator: { logLevel: 'debug' },
      }), 'Job') as unknown as V1Job;
      assert.equal(job.spec?.backoffLimit, 0);
      assert.equal(job.spec.activeDeadlineSeconds, 90);
      const pod = job.spec.template;
      assert.deepEqual(pod.metadata?.annotations, { team: 'logs' });
      assert.deepEqual(pod.spec?.nodeSelector, { pool: 'system' });
      assert.deepEqual(pod.spec.tolerations, [{ key: 'system', operator: 'Exists', effect: 'NoSchedule' }]);
      const [container] = pod.spec.containers;
      assert.deepEqual(container?.resources, { requests: { cpu: '20m', memory: '80Mi' }, limits: { memory: '100Mi' } });
      const parsed = parseCrdsArgs(container.args?.slice(1) ?? []);
      assert.ok(parsed !== 'help');
      assert.deepEqual([parsed.timeoutMs, parsed.logLevel], [120_000, 'debug']);

      const off = await template('shop', NS, { crds: { upgradeJob: { enabled: false } } });
      assert.deepEqual(kinds(off.filter(isHook)), []);
      assert.equal(off.filter((o) => o.metadata.name.includes('crd-upgrade')).length, 0);
    });

    it('a wrong value fails with a message naming it (values.schema.json)', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ webhook: { failurePolicy: 'Sometimes' } }, /webhook\/failurePolicy.*(Ignore|one of)/],
        [{ webhok: { enabled: false } }, /additional properties 'webhok' not allowed/],
        [{ webhook: { certManager: { issuerRef: { nmae: 'x' } } } }, /issuerRef.*'nmae' not allowed/],
        [{ sidecar: { mode: 'sidecar' } }, /sidecar\/mode/],
        [{ sidecar: { allowedImages: ['registry.example/team*'] } }, /sidecar\/allowedImages/],
        [{ kafka: { allowedBrokers: ['kafka'] } }, /kafka\/allowedBrokers/],
        [{ replicaCount: 0 }, /replicaCount/],
        [{ operator: { watchNamespace: 'Shop_Prod' } }, /operator\/watchNamespace/],
        [{ operator: { leaderElection: { leaseDuration: '15' } } }, /leaseDuration/],
        [{ crds: { upgradeJob: { enabled: 'yes' } } }, /crds\/upgradeJob\/enabled/],
        [{ crds: { upgradeJob: { establishedTimeout: '60' } } }, /establishedTimeout/],
      ];
      for (const [values, message] of cases) {
        const result = await helmRun(['template', 'shop', CHART, '--namespace', NS, '-f', valuesFile(values)]);
        assert.notEqual(result.code, 0, `${JSON.stringify(values)} should fail`);
        assert.match(result.stderr, /values don't meet the specifications of the schema/);
        assert.match(result.stderr, message, result.stderr);
      }
    });
  });

  describe('against the real kube-apiserver', () => {
    let kc: KubeConfig;
    before(() => {
      kc = kubeConfig();
      // Other tests install the CRD with kubectl; on a fresh cluster helm installs it from the chart.
    });

    for (const mode of ['all', 'one namespace'] as const) {
      it(`least-privilege RBAC (operator.watchNamespace ${mode}): the operator as the chart's ServiceAccount, every code path, no request refused, every rule used (audit log)`, async () => {
        await leastPrivilege(kc, mode);
      });
    }

    it('a rule missing from the RBAC: Ready=False ApiError naming the refused verb, retried with backoff (not in a loop), Ready once the rule is back', async () => {
      await missingRule(kc);
    });

    it('helm install, upgrade (changed values) and uninstall (the CRD stays, as Helm leaves CRDs)', async () => {
      const ns = unique('lschart');
      const release = unique('chart');
      const name = `${release}-logshipper`;
      // The webhook sees only a namespace without pods: other tests' pods never wait on this (unserved) Service.
      // No CRD upgrade hook: its Job would run the default image, which this cluster does not have
      // (test/e2e/crd-upgrade.test.ts runs it with the project's image).
      const values = valuesFile({ webhook: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': `${ns}-none` } } }, crds: { upgradeJob: { enabled: false } } });
      try {
        const installed = await helm(['install', release, CHART, '--namespace', ns, '--create-namespace', '-f', values]);
        assert.match(installed, /STATUS: deployed/);
        assert.match(installed, /Next steps:/, 'NOTES.txt is shown');
        const get = async (kind: string, objectName: string, namespace?: string): Promise<K8sObject> =>
          JSON.parse(await kubectl(['get', kind, objectName, '-o', 'json', ...(namespace === undefined ? [] : ['-n', namespace])])) as K8sObject;
        for (const kind of ['deployment', 'serviceaccount', 'role', 'rolebinding', 'poddisruptionbudget']) await get(kind, name, ns);
        await get('service', `${name}-webhook`, ns);
        for (const kind of ['clusterrole', 'clusterrolebinding', 'mutatingwebhookconfiguration']) await get(kind, name);
        await get('crd', 'logshippers.logshipper.io');
        const deployment = await get('deployment', name, ns) as unknown as V1Deployment;
        assert.equal(deployment.spec?.replicas, 2);
        assert.equal(deployment.metadata?.labels?.['app.kubernetes.io/managed-by'], 'Helm');

        const upgraded = await helm(['upgrade', release, CHART, '--namespace', ns, '-f', values, '--set', 'replicaCount=1', '--set', 'webhook.failurePolicy=Fail']);
        assert.match(upgraded, /STATUS: deployed/);
        assert.match(upgraded, /REVISION: 2/);
        assert.equal((await get('deployment', name, ns) as unknown as V1Deployment).spec?.replicas, 1);
        assert.equal((await get('mutatingwebhookconfiguration', name) as unknown as V1MutatingWebhookConfiguration).webhooks?.[0]?.failurePolicy, 'Fail');
        // replicaCount 1: the PodDisruptionBudget is removed.
        const pdb = await kubectl(['get', 'poddisruptionbudget', '-n', ns, '-o', 'name']);
        assert.equal(pdb.trim(), '');
        // A wrong value is refused by install/upgrade too, and the release stays as it was.
        const refused = await helmRun(['upgrade', release, CHART, '--namespace', ns, '-f', values, '--set', 'webhook.failurePolicy=Sometimes']);
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, /webhook\/failurePolicy/);
        assert.match(await helm(['status', release, '--namespace', ns]), /REVISION: 2/);

        const uninstalled = await helm(['uninstall', release, '--namespace', ns]);
        assert.match(uninstalled, /uninstalled/);
        const left = await kubectl(['get', 'deployment,serviceaccount,role,rolebinding,service,poddisruptionbudget', '-n', ns, '-o', 'name']);
        // The namespace's own `default` ServiceAccount (made by the controller manager) is not the chart's.
        assert.deepEqual(left.split('\n').filter((l) => l !== '' && l !== 'serviceaccount/default'), []);
        for (const kind of ['clusterrole', 'clusterrolebinding', 'mutatingwebhookconfiguration']) {
          assert.equal((await kubectl(['get', kind, '--ignore-not-found', name, '-o', 'name'])).trim(), '', `${kind} ${name} removed`);
        }
        await get('crd', 'logshippers.logshipper.io');
      } finally {
        await helmRun(['uninstall', release, '--namespace', ns]);
        await deleteNamespace(kc, ns);
      }
    });
  });
});


function appPod(name: string, shipper: string): V1Pod {
  return {
    metadata: { name, ...injectMetadata(shipper) },
    spec: { containers: [{ name: 'web', image: 'busybox:1.36', volumeMounts: [{ name: 'logs', mountPath: '/var/log/app' }] }], volumes: [{ name: 'logs', emptyDir: {} }] },
  };
}

/**
 * Installs the chart, runs two operator replicas as local processes authenticated as its
 * ServiceAccount (args from the installed Deployment), and drives them through every path that
 * calls the API: leader election (create, renew, release, take over), the webhook certificate
 * Secret (create; update when a replica needs another name in it), the caBundle patch, LogShippers
 * with a missing then created Secret, update and delete (ConfigMap get/apply, status, Events),
 * injection and a failed injection (the webhook's LogShipper read, an Event on the pod), pod counts.
 * Then reads what the ServiceAccount asked of the apiserver from its audit log.
 */
async function leastPrivilege(kc: KubeConfig, mode: 'all' | 'one namespace'): Promise<void> {
  const started = Date.now();
  const ns = unique('lsrbac');
  const appNs = unique('lsrbac-app');
  const release = unique('rbac');
  const name = `${release}-logshipper`;
  const core = kc.makeApiClient(CoreV1Api);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const operators: OperatorProcess[] = [];
  await installCrd(kc);
  await createNamespace(kc, appNs);
  try {
    const values = mode === 'all'
      // Only the test's namespace is sent to the webhook (other tests' pods never wait on it); the operator watches every namespace.
      ? { webhook: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': appNs } } } }
      : { operator: { watchNamespace: appNs } };
    await helm(['install', release, CHART, '--namespace', ns, '--create-namespace', '-f', valuesFile(values)]);
    const deployment = JSON.parse(await kubectl(['get', 'deployment', name, '-n', ns, '-o', 'json'])) as V1Deployment;
    const installed = parseObjects(await helm(['get', 'manifest', release, '--namespace', ns]));
    const [portA = 0, portB = 0] = await freePorts(2);
    // The apiserver reaches the webhook at the local process, not through the (podless) Service.
    await admission.patchMutatingWebhookConfiguration({
      name,
      body: [{ op: 'remove', path: '/webhooks/0/clientConfig/service' }, { op: 'add', path: '/webhooks/0/clientConfig/url', value: `https://127.0.0.1:${String(portA)}/mutate` }],
    });
    const kubeconfig = await serviceAccountKubeconfig(ns, name);
    const audit = new AuditLog();

    const a = localOperatorCommand(deployment, { namespace: ns, webhookPort: portA });
    const operatorA = spawnOperator(`${release}-a`, a.args, a.env, kubeconfig);
    operators.push(operatorA);
    await operatorA.waitForLog('leader', (l) => l['msg'] === 'caches synced; reconciling');
    await operatorA.waitForLog('caBundle patched', (l) => l['msg'] === 'caBundle patched into the webhook configuration');
    await operatorA.waitForLog('webhook listening', (l) => l['msg'] === 'webhook listening');

    const shippers = new Shippers(kc, appNs);
    const spec = { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092'], topic: 'one', sasl: { mechanism: 'PLAIN' as const, secretName: 'kafka-user' } } };
    await shippers.create('app', spec);
    await shippers.waitReady('app', 'False', 'SecretNotFound');
    await core.createNamespacedSecret({ namespace: appNs, body: { metadata: { name: 'kafka-user' }, stringData: { username: 'u', password: 'p' } } });
    await shippers.waitReady('app', 'True');

    // The apiserver trusts the webhook (caBundle) and sends it this namespace's pods.
    await eventually('the webhook to inject', 30_000, async () => {
      const probe = await core.createNamespacedPod({ namespace: appNs, body: appPod('probe', 'app'), dryRun: 'All' });
      return probe.spec?.initContainers?.some((c) => c.name === 'logshipper') === true ? true : undefined;
    });
    const injected = await core.createNamespacedPod({ namespace: appNs, body: appPod('web-1', 'app') });
    assert.ok(injected.spec?.initContainers?.some((c) => c.name === 'logshipper'));
    // An injected sidecar's delivery reports (pod get, patch): trouble recorded on its pod, then
    // cleared. The pod is never scheduled, so no kubelet sets its IPs but the test.
    const reporting = await core.createNamespacedPod({ namespace: appNs, body: unscheduled(appPod('web-3', 'app')) });
    await setPodIp(core, appNs, 'web-3', '127.0.0.1');
    const report = { namespace: appNs, pod: 'web-3', uid: reporting.metadata?.uid ?? '', since: new Date().toISOString() };
    assert.equal((await postReport(await operatorA.port(), { ...report, delivering: false, reason: 'sink k: broker down' })).status, 200);
    assert.ok((await core.readNamespacedPod({ namespace: appNs, name: 'web-3' })).metadata?.annotations?.[DELIVERY_ANNOTATION] !== undefined);
    assert.equal((await postReport(await operatorA.port(), { ...report, delivering: true, reason: '' })).status, 200);
    assert.equal((await core.readNamespacedPod({ namespace: appNs, name: 'web-3' })).metadata?.annotations?.[DELIVERY_ANNOTATION], undefined);
    await core.deleteNamespacedPod({ namespace: appNs, name: 'web-3', gracePeriodSeconds: 0 });
    const lost = await core.createNamespacedPod({ namespace: appNs, body: appPod('web-2', 'nope') });
    assert.equal(lost.spec?.initContainers, undefined);
    await eventually('the SidecarInjectionFailed Event', 15_000, async () =>
      (await core.listNamespacedEvent({ namespace: appNs, fieldSelector: 'involvedObject.name=web-2' })).items.find((e) => e.reason === 'SidecarInjectionFailed'));

    await shippers.replaceSpec('app', { ...spec, kafka: { ...spec.kafka, topic: 'two' } });
    await eventually('the pod counted stale', 30_000, async () => {
      const status = (await shippers.get('app')).status;
      return status?.injectedPods === 1 && status.stalePods === 1 ? true : undefined;
    });

    // A second replica that wants one more name in the shared certificate: it updates the Secret.
    const b = localOperatorCommand(deployment, { namespace: ns, webhookPort: portB, extraArgs: ['--webhook-extra-sans=127.0.0.1,localhost'] });
    const operatorB = spawnOperator(`${release}-b`, b.args, b.env, kubeconfig);
    operators.push(operatorB);
    await operatorB.waitForLog('Secret updated', (l) => l['msg'] === 'webhook certificate Secret updated');
    // The leader stops: it releases the Lease, the standby takes over.
    assert.equal(await operatorA.stop(), 0);
    await operatorB.waitForLog('leader', (l) => l['msg'] === 'caches synced; reconciling');

    await shippers.delete('app');
    // Held by the finalizer while the injected pod mounts its ConfigMap; released once the pods are gone.
    await eventually('the Deleting condition', 15_000, async () => (await shippers.get('app')).status?.conditions?.find((c) => c.type === 'Deleting'));
    for (const pod of ['web-1', 'web-2']) await core.deleteNamespacedPod({ namespace: appNs, name: pod, gracePeriodSeconds: 0 });
    // The garbage collector learns of a resource type at its discovery resync (every 30 s): on a fresh
    // control plane the CRD may be newer than that, so up to two resyncs.
    await eventually('the ConfigMap garbage-collected', 75_000, async () => {
      const left = await core.listNamespacedConfigMap({ namespace: appNs, labelSelector: 'app.kubernetes.io/managed-by=logshipper-operator' });
      return left.items.length === 0 ? true : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await operatorB.stop(), 0);

    const user = `system:serviceaccount:${ns}:${name}`;
    const events = audit.events(user);
    assert.ok(events.length > 0, `no audit event for ${user} in ${audit.file}`);
    const describe = (e: AuditEvent): string => `${e.verb} ${e.requestURI} -> ${String(e.responseStatus?.code)}`;
    // RBAC's own verdict: a 403 can also come from admission (an object in another test's namespace being deleted, which the operator watching all namespaces reconciles).
    const undecided = events.filter((e) => e.annotations?.['authorization.k8s.io/decision'] === undefined);
    assert.deepEqual(undecided.map(describe), [], 'requests without an authorization decision in the audit log');
    const refused = events.filter((e) => e.annotations?.['authorization.k8s.io/decision'] === 'forbid');
    assert.deepEqual(refused.map(describe), [], 'requests of the operator that RBAC refused');

    const rules = rbacRules(installed);
    // Every request about a resource is granted by one of the chart's rules (not by some default binding).
    const ungranted = events.filter((e) => e.objectRef?.resource !== undefined && !usesVerbs(e).every((verb) => rules.some((r) => ruleGrants(r, e, verb))));
    assert.deepEqual(ungranted.map(describe), [], 'requests no rule of the chart grants');
    // Every verb of every rule is used by at least one request.
    const unused: string[] = [];
    for (const rule of rules) {
      for (const verb of rule.verbs) {
        if (!events.some((e) => usesVerbs(e).includes(verb) && ruleGrants(rule, e, verb))) {
          unused.push(`${rule.source}${rule.namespace === undefined ? '' : ` (${rule.namespace})`}: ${verb} ${rule.resources.join(',')}${rule.resourceNames === undefined ? '' : ` [${rule.resourceNames.join(',')}]`}`);
        }
      }
    }
    const seen = [...new Set(events.filter((e) => e.objectRef !== undefined).map((e) => `${e.verb} ${auditResource(e) ?? ''}${e.objectRef?.namespace === undefined ? '' : ` in ${e.objectRef.namespace === ns ? 'release ns' : e.objectRef.namespace === appNs ? 'app ns' : 'other ns'}`}`))].sort();
    assert.deepEqual(unused, [], `rules the operator never used; what it did use:\n${seen.join('\n')}`);
    console.log(`# least privilege (${mode}): ${String(events.length)} requests, ${String(rules.length)} rules, ${((Date.now() - started) / 1000).toFixed(1)} s; used: ${seen.join('; ')}`);
  } finally {
    for (const operator of operators) await operator.stop();
    // Watching every namespace, the operators put their finalizer on other tests' LogShippers too.
    if (mode === 'all') await releaseFinalizers(kc);
    await helmRun(['uninstall', release, '--namespace', ns]);
    await deleteNamespace(kc, appNs);
    await deleteNamespace(kc, ns);
  }
}


/**
 * The RBAC verbs a request needs: its own, and for a server-side apply (`patch`) that created the
 * object (201) also `create`, which the apiserver checks inside the request (without it: 403
 * "cannot create resource"), though the audit log records the request as a patch.
 */
function usesVerbs(event: AuditEvent): string[] {
  return event.verb === 'patch' && event.responseStatus?.code === 201 ? ['patch', 'create'] : [event.verb];
}

/** The chart's operator with `create` on ConfigMaps taken from its Role: what a user with a trimmed RBAC sees. */
async function missingRule(kc: KubeConfig): Promise<void> {
  const ns = unique('lsrule');
  const appNs = unique('lsrule-app');
  const release = unique('rule');
  const name = `${release}-logshipper`;
  let operator: OperatorProcess | undefined;
  await installCrd(kc);
  await createNamespace(kc, appNs);
  try {
    await helm(['install', release, CHART, '--namespace', ns, '--create-namespace', '-f', valuesFile({ operator: { watchNamespace: appNs }, webhook: { enabled: false } })]);
    const role = JSON.parse(await kubectl(['get', 'role', `${name}-watch`, '-n', appNs, '-o', 'json'])) as { rules: ScopedRule[] };
    const index = role.rules.findIndex((r) => r.resources.includes('configmaps'));
    const verbs = role.rules[index]?.verbs ?? [];
    const setVerbs = async (list: string[]): Promise<void> => {
      await kubectl(['patch', 'role', `${name}-watch`, '-n', appNs, '--type', 'json', '-p', JSON.stringify([{ op: 'replace', path: `/rules/${String(index)}/verbs`, value: list }])]);
    };
    await setVerbs(verbs.filter((v) => v !== 'create'));
    const deployment = JSON.parse(await kubectl(['get', 'deployment', name, '-n', ns, '-o', 'json'])) as V1Deployment;
    const command = localOperatorCommand(deployment, { namespace: ns });
    const audit = new AuditLog();
    operator = spawnOperator(release, command.args, command.env, await serviceAccountKubeconfig(ns, name));
    const shippers = new Shippers(kc, appNs);
    await shippers.create('app', { volume: 'logs', files: [{ path: '*.log' }], kafka: { brokers: ['kafka:9092'], topic: 'one' } });
    const failed = await shippers.waitReady('app', 'False', 'ApiError');
    const message = failed.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    assert.match(message, /^cannot write ConfigMap app-logshipper: HTTP 403: .*cannot create resource "configmaps"/);
    assert.doesNotMatch(message, /audit-id|Headers/i, 'no per-request noise in the status');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const attempts = audit.events(`system:serviceaccount:${ns}:${name}`).filter((e) => e.verb === 'patch' && e.objectRef?.resource === 'configmaps');
    // Backoff 250 ms doubling: about 6 attempts in 5 s (a loop past the backoff made hundreds).
    assert.ok(attempts.length >= 2 && attempts.length <= 12, `${String(attempts.length)} ConfigMap writes in about 5 s`);
    await setVerbs(verbs);
    await shippers.waitReady('app', 'True', 'Reconciled', 30_000);
  } finally {
    await operator?.stop();
    await helmRun(['uninstall', release, '--namespace', ns]);
    await deleteNamespace(kc, appNs);
    await deleteNamespace(kc, ns);
  }
}
