// Command-line tools the tests drive: helm (built from its module, stamped), kcat (Debian's
// package) and kubectl (the machine's, else built from the same kubernetes sources).
import fs from 'node:fs';
import path from 'node:path';
import { aptInstall } from './apt.ts';
import { cachedDir } from './cache.ts';
import { override } from './envfile.ts';
import { go, GO_BUILD_FLAGS, goLdflags } from './go.ts';
import { buildKubernetes } from './kube-build.ts';
import { run, TestEnvError } from './process.ts';
import { logFile } from './paths.ts';
import { HELM_VERSION, KUBERNETES_VERSION } from './versions.ts';

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** An executable named by an env var (the caller's override), checked so a typo fails here. */
export function fromEnv(variable: 'HELM' | 'KCAT' | 'PROMETHEUS' | 'PROMTOOL'): string | undefined {
  const value = override(variable);
  if (value === undefined) return undefined;
  try {
    fs.accessSync(value, fs.constants.X_OK);
  } catch {
    throw new TestEnvError(variable, `${variable}=${value} is set but is not an executable file`);
  }
  return value;
}

/**
 * helm, built with `go install` (its go.mod has no replace lines). Stamped with its own version
 * and with the Kubernetes version of our test cluster: without the chartutil stamp,
 * `helm template` renders .Capabilities.KubeVersion as v1.20.0 and charts gating on it lie.
 */
export async function helm(): Promise<string> {
  const given = fromEnv('HELM');
  if (given !== undefined) return given;
  const [major, minor] = KUBERNETES_VERSION.replace(/^v/, '').split('.');
  const dir = await cachedDir(path.join('bin', `helm-${HELM_VERSION}-k8s${major ?? ''}.${minor ?? ''}`), async (out) => {
    const ldflags = goLdflags({
      'helm.sh/helm/v3/internal/version.version': HELM_VERSION,
      'helm.sh/helm/v3/internal/version.gitTreeState': 'clean',
      'helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor': major ?? '',
      'helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor': minor ?? '',
      'helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor': major ?? '',
      'helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor': minor ?? '',
    });
    await go('helm-build', ['install', ...GO_BUILD_FLAGS, '-ldflags', ldflags, `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], out, { GOBIN: out });
  });
  return path.join(dir, 'helm');
}

/** kcat from Debian; installed when missing and we may (root), else a clear failure. */
export async function kcat(): Promise<string> {
  const found = fromEnv('KCAT') ?? findOnPath('kcat');
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new TestEnvError('kcat', 'kcat is not on PATH and we are not root to install it: run `apt-get install -y kcat` (or set KCAT)');
  }
  const log = logFile('install-kcat');
  await aptInstall('kcat', ['kcat'], log);
  const installed = findOnPath('kcat');
  if (installed === undefined) throw new TestEnvError('kcat', 'apt-get installed kcat but it is not on PATH', { log });
  return installed;
}

export async function kubectl(): Promise<string> {
  const found = findOnPath('kubectl');
  if (found !== undefined) return found;
  // No kubectl on this machine: build one from the same sources as the apiserver.
  const dir = await buildKubernetes(['kubectl'], `kubectl-${KUBERNETES_VERSION}`);
  return path.join(dir, 'kubectl');
}

/** First line of `<tool> <args>` (a version string for the env file and the report). */
export async function versionOf(component: string, tool: string, args: string[]): Promise<string> {
  const out = await run(component, tool, args);
  return out.trim().split('\n')[0] ?? '';
}
