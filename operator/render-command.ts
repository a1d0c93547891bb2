// `logshipper render -f logshipper.yaml`: prints the agent properties a LogShipper renders to, with
// the same function the operator uses, for GitOps review and debugging. No cluster needed.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { API_VERSION, KIND } from './crd-types.ts';
import { render } from './render.ts';
import { resolveSpec, SpecError } from './spec.ts';

export const RENDER_USAGE = `Usage: logshipper render -f FILE [--hash]

Prints the sidecar agent configuration that the LogShipper(s) in FILE (YAML; '-' for stdin) render to.
With several LogShippers in FILE, each is printed after a '# <namespace>/<name>' line.

Options:
  -f, --filename FILE   the LogShipper manifest
      --hash            print only the configHash (sha256 of the configuration)
  -h, --help            this help

Exit codes: 0 rendered, 2 usage error or invalid LogShipper (the message names the field).`;

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function runRenderCommand(args: string[], io: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): number {
  let file: string | undefined;
  let hashOnly = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') {
      io.out(`${RENDER_USAGE}\n`);
      return 0;
    } else if (arg === '-f' || arg === '--filename') {
      file = args[++i];
    } else if (arg?.startsWith('--filename=') === true) {
      file = arg.slice('--filename='.length);
    } else if (arg === '--hash') {
      hashOnly = true;
    } else {
      io.err(`logshipper render: unknown argument "${arg ?? ''}"\n\n${RENDER_USAGE}\n`);
      return 2;
    }
  }
  if (file === undefined || file === '') {
    io.err(`logshipper render: -f FILE is required\n\n${RENDER_USAGE}\n`);
    return 2;
  }
  let documents: unknown[];
  try {
    documents = yaml.loadAll(readFileSync(file === '-' ? 0 : file, 'utf8')).filter((doc) => doc !== null && doc !== undefined);
  } catch (error) {
    io.err(`logshipper render: cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  const shippers = documents.filter((doc): doc is { kind: unknown; apiVersion: unknown; metadata?: unknown; spec?: unknown } =>
    typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === KIND);
  if (shippers.length === 0) {
    io.err(`logshipper render: ${file} holds no ${KIND} (apiVersion ${API_VERSION})\n`);
    return 2;
  }
  const outputs: string[] = [];
  for (const [index, doc] of shippers.entries()) {
    const metadata = (typeof doc.metadata === 'object' && doc.metadata !== null ? doc.metadata : {}) as { name?: unknown; namespace?: unknown };
    const name = typeof metadata.name === 'string' ? metadata.name : `document-${index + 1}`;
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
    if (doc.apiVersion !== API_VERSION) {
      io.err(`logshipper render: ${file}: ${namespace}/${name}: apiVersion: invalid value ${JSON.stringify(doc.apiVersion)}: ${API_VERSION} is allowed\n`);
      return 2;
    }
    try {
      const result = render(resolveSpec(doc.spec), { namespace, name });
      const heading = shippers.length > 1 ? `# ${namespace}/${name}\n` : '';
      outputs.push(hashOnly ? `${heading}${result.hash}\n` : `${heading}${result.text}`);
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      io.err(`logshipper render: ${file}: ${namespace}/${name}: ${error.message}\n`);
      return 2;
    }
  }
  io.out(outputs.join('\n'));
  return 0;
}
