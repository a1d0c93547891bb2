// The test environment's Kubernetes control plane does what the operator's tests will rely on:
// CRDs get Established and serve custom objects, RBAC is enforced for service-account tokens,
// and kube-controller-manager garbage-collects dependents by owner reference.
//
// client-node's model types (V1ObjectMeta, V1ConfigMap, ...) are classes with only public data
// fields and static type maps; its API is meant to take plain object literals for them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { eventually, kubeConfig, unique } from '../env/testing.ts';

const GROUP = 'testenv.logshipper.test';
const VERSION = 'v1';
const PLURAL = 'widgets';

function widgetCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: PLURAL, singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer' }, colour: { type: 'string' } } } },
            },
          },
        },
      ],
    },
  };
}

/** The HTTP status of a failed API call (fails the test on anything but an ApiException). */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

describe('test environment: Kubernetes', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  const namespace = unique('testenv');

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  after(async () => {
    // The namespace controller (kube-controller-manager) removes everything in it.
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('applies a CRD, waits for Established, creates and reads a custom object', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.patch(widgetCrd(), undefined, undefined, 'logshipper-testenv-test', true, PatchStrategy.ServerSideApply);
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    await eventually('the CRD to be Established', 30_000, async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true ? true : undefined;
    });

    const custom = kc.makeApiClient(CustomObjectsApi);
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'Widget', metadata: { name: 'first' }, spec: { size: 3, colour: 'teal' } };
    // Discovery of a just-Established CRD can lag a moment behind the condition.
    await eventually('creating a Widget', 15_000, async () => {
      await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body });
      return true;
    });
    const read: unknown = await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name: 'first' });
    const widget = read as { kind?: string; metadata?: { uid?: string }; spec?: unknown };
    assert.equal(widget.kind, 'Widget');
    assert.ok(widget.metadata?.uid, 'the stored Widget has a uid');
    assert.deepEqual(widget.spec, { size: 3, colour: 'teal' });
  });

  it('enforces RBAC on a service-account token', async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
    // audiences [] = the apiserver's own audience.
    const tokenRequest = await core.createNamespacedServiceAccountToken({
      name: 'reader',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tokenRequest.status?.token;
    assert.ok(token, 'TokenRequest returned a token');

    const cluster = kc.getCurrentCluster();
    assert.ok(cluster);
    const asReader = new KubeConfig();
    asReader.loadFromClusterAndUser(cluster, { name: 'reader', token });
    const custom = asReader.makeApiClient(CustomObjectsApi);
    const params = { group: GROUP, version: VERSION, namespace, plural: PLURAL };

    // Make sure the object exists whatever order the tests ran in.
    await kc
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({ ...params, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Widget', metadata: { name: 'guarded' } } });

    assert.equal(await statusOf(custom.listNamespacedCustomObject(params)), 403, 'no RoleBinding: list must be forbidden');

    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'widget-getter' }, rules: [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['get'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'reader-gets-widgets' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'widget-getter' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    });
    // The RBAC authorizer reads Roles through an informer: allow it a moment to see the new ones.
    await eventually('the RoleBinding to take effect', 10_000, async () =>
      (await statusOf(custom.getNamespacedCustomObject({ ...params, name: 'guarded' }))) === 200 ? true : undefined,
    );
    assert.equal(await statusOf(custom.deleteNamespacedCustomObject({ ...params, name: 'guarded' })), 403, 'get only: delete must be forbidden');
    assert.equal(await statusOf(custom.listNamespacedCustomObject(params)), 403, 'get only: list must still be forbidden');
  });

  it('garbage-collects an object whose owner was deleted (kube-controller-manager runs)', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' }, data: { role: 'owner' } } });
    const uid = owner.metadata?.uid;
    assert.ok(uid);
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] },
        data: { role: 'dependent' },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace });
    await eventually('the dependent ConfigMap to be garbage-collected', 60_000, async () =>
      (await statusOf(core.readNamespacedConfigMap({ name: 'dependent', namespace }))) === 404 ? true : undefined,
    );
  });
});
