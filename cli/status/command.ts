// `logshipper status` (and `kubectl logshipper status`): reads LogShippers and the pods of their
// namespaces with the kubeconfig's credentials, prints the report (cli/status/report.ts) and exits
// non-zero when something needs attention. Read-only: list and get, nothing else.
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type LogShipper } from '../../operator/crd-types.ts';
import { apiErrorMessage } from '../../operator/reconcile.ts';
import { parseStatusArgs, STATUS_USAGE, UsageError, type StatusArgs } from './args.ts';
import { formatJson, formatTable } from './format.ts';
import { statusReport } from './report.ts';

export const EXIT = { ok: 0, attention: 1, usage: 2, unreadable: 3 } as const;

/** Pods per list call: a namespace of thousands of pods is read in pages. */
const PAGE = 500;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A failed read: what was asked (verb, resource, where) and the API's answer. */
class ReadError extends Error {}

function kubeConfig(args: StatusArgs): { kc: KubeConfig; context: string } {
  const kc = new KubeConfig();
  try {
    if (args.kubeconfig === undefined) kc.loadFromDefault();
    else kc.loadFromFile(args.kubeconfig);
  } catch (error) {
    throw new ReadError(`cannot load the kubeconfig ${args.kubeconfig ?? '(default: $KUBECONFIG or ~/.kube/config)'}: ${(error as Error).message}`);
  }
  if (args.context !== undefined) {
    if (kc.getContextObject(args.context) === null) {
      throw new ReadError(`context "${args.context}" is not in the kubeconfig (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(args.context);
  }
  return { kc, context: kc.getCurrentContext() };
}

async function read<T>(what: { verb: string; resource: string; namespace?: string; name?: string }, context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const where = what.namespace === undefined ? 'in all namespaces' : `in namespace ${what.namespace}`;
    const target = `${what.resource}${what.name === undefined ? '' : ` ${what.name}`}`;
    const denied = error instanceof ApiException && error.code === 403 ? ` (needs RBAC verb "${what.verb}" on ${what.resource} ${where})` : '';
    throw new ReadError(`cannot ${what.verb} ${target} ${where} (context ${context}): ${apiErrorMessage(error)}${denied}`);
  }
}

async function readLogShippers(custom: CustomObjectsApi, args: StatusArgs, namespace: string, context: string): Promise<LogShipper[]> {
  const crd = { group: GROUP, version: VERSION, plural: PLURAL };
  const resource = `${PLURAL}.${GROUP}`;
  if (args.name !== undefined) {
    const name = args.name;
    return [await read({ verb: 'get', resource, namespace, name }, context, async () => (await custom.getNamespacedCustomObject({ ...crd, namespace, name })) as LogShipper)];
  }
  const listed = args.allNamespaces
    ? await read({ verb: 'list', resource }, context, async () => custom.listClusterCustomObject(crd) as Promise<{ items: LogShipper[] }>)
    : await read({ verb: 'list', resource, namespace }, context, async () => custom.listNamespacedCustomObject({ ...crd, namespace }) as Promise<{ items: LogShipper[] }>);
  return listed.items;
}

async function readPods(core: CoreV1Api, namespace: string, context: string): Promise<V1Pod[]> {
  const pods: V1Pod[] = [];
  let next: string | undefined;
  do {
    const token = next;
    const page = await read({ verb: 'list', resource: 'pods', namespace }, context, async () => core.listNamespacedPod({ namespace, limit: PAGE, _continue: token }));
    pods.push(...page.items);
    next = page.metadata?._continue;
  } while (next !== undefined && next !== '');
  return pods;
}

export async function runStatusCommand(args: string[], io: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  let parsed: StatusArgs | 'help';
  try {
    parsed = parseStatusArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`logshipper status: ${error.message}\n\n${STATUS_USAGE}\n`);
    return EXIT.usage;
  }
  if (parsed === 'help') {
    io.out(`${STATUS_USAGE}\n`);
    return EXIT.ok;
  }
  try {
    const { kc, context } = kubeConfig(parsed);
    const namespace = parsed.namespace ?? (kc.getContextObject(context)?.namespace || 'default');
    const shippers = await readLogShippers(kc.makeApiClient(CustomObjectsApi), parsed, namespace, context);
    const core = kc.makeApiClient(CoreV1Api);
    const namespaces = [...new Set(shippers.map((s) => s.metadata?.namespace ?? namespace))];
    const pods = (await Promise.all(namespaces.map(async (ns) => readPods(core, ns, context)))).flat();
    const report = statusReport(shippers, pods);
    if (parsed.output === 'json') io.out(formatJson(report));
    else if (shippers.length === 0) io.out(`No LogShippers found ${parsed.allNamespaces ? 'in any namespace' : `in namespace ${namespace}`} (context ${context}).\n`);
    else io.out(formatTable(report));
    return report.attention ? EXIT.attention : EXIT.ok;
  } catch (error) {
    if (!(error instanceof ReadError)) throw error;
    io.err(`logshipper status: ${error.message}\n`);
    return EXIT.unreadable;
  }
}
