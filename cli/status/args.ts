// `logshipper status` arguments, parsed purely (the help text and the usage errors included).

export const STATUS_USAGE = `Usage: logshipper status [-n NS | -A] [NAME] [-o table|json] [--kubeconfig FILE] [--context CTX]
   or: kubectl logshipper status ... (the same arguments)

Lists LogShippers, the pods that ask for them (annotation logshipper.io/inject), each pod's sidecar,
its configuration hash against the LogShipper's (STALE when older), delivery trouble the operator
recorded, the pods running without the sidecar, and what to run to renew stale pods.

Options:
  -n, --namespace NS    the namespace (default: the context's namespace, else default)
  -A, --all-namespaces  every namespace
  NAME                  only this LogShipper
  -o, --output FORMAT   table (default) or json
      --kubeconfig FILE the kubeconfig (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)
      --context CTX     the kubeconfig context (default: its current context)
  -h, --help            this help

Exit codes: 0 all LogShippers Ready and every pod current, injected and delivering; 1 something
needs attention (a LogShipper not Ready, a stale, uninjected or undelivering pod); 2 usage error;
3 the cluster could not be read (kubeconfig, connection, permission, LogShipper not found).`;

export interface StatusArgs {
  /** undefined: the context's namespace. */
  namespace: string | undefined;
  allNamespaces: boolean;
  name: string | undefined;
  output: 'table' | 'json';
  kubeconfig: string | undefined;
  context: string | undefined;
}

export class UsageError extends Error {}

const OUTPUTS = ['table', 'json'] as const;

/** The arguments, or 'help'; throws UsageError naming the bad argument. */
export function parseStatusArgs(args: readonly string[]): StatusArgs | 'help' {
  const parsed: StatusArgs = { namespace: undefined, allNamespaces: false, name: undefined, output: 'table', kubeconfig: undefined, context: undefined };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag}: a value is required`);
      return v;
    };
    switch (flag) {
      case '-h': case '--help': return 'help';
      case '-n': case '--namespace': parsed.namespace = value(); break;
      case '-A': case '--all-namespaces': parsed.allNamespaces = true; break;
      case '--kubeconfig': parsed.kubeconfig = value(); break;
      case '--context': parsed.context = value(); break;
      case '-o': case '--output': {
        const output = value();
        if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`${flag}: invalid value "${output}": ${OUTPUTS.join(' or ')} is allowed`);
        parsed.output = output as StatusArgs['output'];
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option "${arg}"`);
        if (parsed.name !== undefined) throw new UsageError(`one NAME is allowed, got "${parsed.name}" and "${arg}"`);
        parsed.name = arg;
    }
  }
  if (parsed.allNamespaces && parsed.namespace !== undefined) throw new UsageError('-n and -A exclude each other');
  if (parsed.allNamespaces && parsed.name !== undefined) throw new UsageError(`NAME "${parsed.name}" needs one namespace (-n), not -A`);
  return parsed;
}
