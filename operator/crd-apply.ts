// Server-side apply of the LogShipper CRD the image carries, then a wait until the apiserver serves
// it (Established). `helm upgrade` never touches a chart's crds/, so the chart's pre-upgrade hook
// runs this. It never deletes: the CRD, and with it every LogShipper, stays whatever happens.
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../sidecar/log.ts';
import { crdChanges, unchanged, type CrdChanges } from './crd-changes.ts';
import type { Json } from './schema/crd.ts';

export const CRD_FIELD_MANAGER = 'logshipper';

/**
 * The CRD as a custom object of apiextensions.k8s.io: client-node's typed CRD model would drop the
 * schema's `enum`, `default` and `x-kubernetes-validations` keys of a plain object (it names them
 * _enum, ...); the custom objects API sends and returns the JSON as it is.
 */
const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

export class CrdApplyError extends Error {}

export interface ApplyOptions {
  /** Ask the apiserver what would change (dryRun=All), change nothing. */
  dryRun: boolean;
  /** How long to wait for Established. */
  timeoutMs: number;
  log: Logger;
}

export interface ApplyResult {
  name: string;
  created: boolean;
  changes: CrdChanges;
}

/** The apiserver's own message (a Status object's `message`), else the exception's. */
function apiMessage(error: ApiException<unknown>): string {
  const body: unknown = typeof error.body === 'string' ? (() => {
    try {
      return JSON.parse(error.body) as unknown;
    } catch {
      return error.body;
    }
  })() : error.body;
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : body;
  return typeof message === 'string' && message !== '' ? message : error.message;
}

/** A failed call as an error naming the CRD, what was refused and why. */
function refusal(name: string, action: string, error: unknown): CrdApplyError {
  if (!(error instanceof ApiException)) return new CrdApplyError(`CRD ${name}: cannot ${action}: ${(error as Error).message}`);
  const why = apiMessage(error);
  switch (error.code) {
    case 401: return new CrdApplyError(`CRD ${name}: cannot ${action}: not authenticated (401): ${why}`);
    case 403: return new CrdApplyError(`CRD ${name}: cannot ${action}: permission denied (403): ${why}`);
    case 422: return new CrdApplyError(`CRD ${name}: the apiserver refuses the change (422 Invalid): ${why}`);
    default: return new CrdApplyError(`CRD ${name}: cannot ${action}: the apiserver answered ${String(error.code)}: ${why}`);
  }
}

function conditions(crd: unknown): { type?: string; status?: string; reason?: string; message?: string }[] {
  const status = (crd as { status?: { conditions?: unknown } }).status;
  return Array.isArray(status?.conditions) ? status.conditions as { type?: string; status?: string }[] : [];
}

export async function applyCrd(kc: KubeConfig, crd: Json, options: ApplyOptions): Promise<ApplyResult> {
  const name = String((crd['metadata'] as { name?: unknown } | undefined)?.name);
  const api = kc.makeApiClient(CustomObjectsApi);
  const read = async (): Promise<unknown> => {
    try {
      return await api.getClusterCustomObject({ ...CRDS, name }) as unknown;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw refusal(name, 'read it', error);
    }
  };
  const before = await read();
  let after: unknown;
  try {
    after = await api.patchClusterCustomObject(
      { ...CRDS, name, body: crd, fieldManager: CRD_FIELD_MANAGER, force: true, ...(options.dryRun ? { dryRun: 'All' } : {}) },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ) as unknown;
  } catch (error) {
    throw refusal(name, before === undefined ? 'create it (server-side apply)' : 'apply it (server-side apply)', error);
  }
  const result: ApplyResult = { name, created: before === undefined, changes: crdChanges(before, after) };
  const event = { crd: name, dryRun: options.dryRun, created: result.created, ...result.changes };
  options.log.info(event, result.created ? 'CRD created' : unchanged(result.changes) ? 'CRD unchanged' : 'CRD updated');
  if (options.dryRun) return result;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const served = conditions(await read());
    const established = served.find((c) => c.type === 'Established');
    const names = served.find((c) => c.type === 'NamesAccepted');
    if (names?.status === 'False') throw new CrdApplyError(`CRD ${name}: names not accepted (${names.reason ?? ''}): ${names.message ?? ''}`);
    if (established?.status === 'True') break;
    if (Date.now() > deadline) {
      throw new CrdApplyError(`CRD ${name}: not Established within ${String(options.timeoutMs / 1000)}s (conditions: ${JSON.stringify(served)})`);
    }
    await sleep(250);
  }
  options.log.info({ crd: name }, 'CRD established');
  return result;
}
