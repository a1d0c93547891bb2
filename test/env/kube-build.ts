// The cluster's k8s.io/kubernetes commands (and kubectl when the machine has none) and etcd,
// built from their Go modules into <cache>/bin/<component>-<version>/.
//
// k8s.io/kubernetes cannot be `go install`ed: its go.mod requires its staging modules
// (k8s.io/api, k8s.io/client-go, ...) at v0.0.0 and points them at ./staging with `replace`
// lines, which only apply when kubernetes is the main module. So we generate a main module of
// our own that requires k8s.io/kubernetes and replaces each staging module with its published
// tag (v0.X.Y for kubernetes v1.X.Y). etcd's server module has the same kind of replaces.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cachedDir } from './cache.ts';
import { downloadedGoMod, go, GO_BUILD_FLAGS, goLdflags, wrapperModule } from './go.ts';
import { ETCD_VERSION, KUBERNETES_VERSION } from './versions.ts';

/** The `go` and `godebug` lines of a module, copied into its wrapper so the binary gets the
 *  runtime defaults (GODEBUG) its authors built and tested with. */
function goDirectives(goMod: string): string {
  const goLine = /^go \S+$/m.exec(goMod)?.[0] ?? 'go 1.24.0';
  const godebug = /^godebug (?:\([\s\S]*?^\)|.*)$/m.exec(goMod)?.[0];
  return godebug === undefined ? goLine : `${goLine}\n\n${godebug}`;
}

function kubeLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.replace(/^v/, '').split('.');
  const vars: Record<string, string> = {};
  // component-base's version is what the binaries report (--version, /version) and what the
  // apiserver derives its compatibility version from; client-go's is its user agent.
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    vars[`${pkg}.gitVersion`] = KUBERNETES_VERSION;
    vars[`${pkg}.gitMajor`] = major ?? '';
    vars[`${pkg}.gitMinor`] = minor ?? '';
    vars[`${pkg}.gitTreeState`] = 'clean';
  }
  return goLdflags(vars);
}

/** The cache folder for a set of commands: a different set is a different build. */
function kubernetesFolder(commands: readonly string[]): string {
  const digest = crypto.createHash('sha256').update([...commands].sort().join(',')).digest('hex').slice(0, 8);
  return `kubernetes-${KUBERNETES_VERSION}-${digest}`;
}

/** Builds the given k8s.io/kubernetes commands; returns the folder holding them. */
export async function buildKubernetes(commands: readonly string[], folder = kubernetesFolder(commands)): Promise<string> {
  return cachedDir(path.join('bin', folder), async (out) => {
    const component = 'kubernetes-build';
    const module = `k8s.io/kubernetes@${KUBERNETES_VERSION}`;
    const upstream = fs.readFileSync(await downloadedGoMod(component, module), 'utf8');
    const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\//gm)].map((m) => m[1] ?? '');
    if (staging.length === 0) throw new Error(`no ./staging replaces found in the go.mod of ${module}; the wrapper module needs rethinking`);
    const stagingVersion = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
    const goMod = [
      'module logshipper.test/kube-src',
      '',
      goDirectives(upstream),
      '',
      `require k8s.io/kubernetes ${KUBERNETES_VERSION}`,
      '',
      'replace (',
      ...staging.map((m) => `\t${m} => ${m} ${stagingVersion}`),
      ')',
      '',
    ].join('\n');
    const pkgs = commands.map((c) => `k8s.io/kubernetes/cmd/${c}`);
    const dir = await wrapperModule(component, 'kube-src', goMod, pkgs.map((p) => `${p}@${KUBERNETES_VERSION}`));
    await go(component, ['build', ...GO_BUILD_FLAGS, '-ldflags', kubeLdflags(), '-o', out + '/', ...pkgs], dir);
  });
}

export async function buildEtcd(): Promise<string> {
  const dir = await cachedDir(path.join('bin', `etcd-${ETCD_VERSION}`), async (out) => {
    const component = 'etcd-build';
    const module = `go.etcd.io/etcd/server/v3@${ETCD_VERSION}`;
    const upstream = fs.readFileSync(await downloadedGoMod(component, module), 'utf8');
    const goMod = `module logshipper.test/etcd-src\n\n${goDirectives(upstream)}\n`;
    const src = await wrapperModule(component, 'etcd-src', goMod, [module]);
    // The server module's root package is etcd's main package.
    await go(component, ['build', ...GO_BUILD_FLAGS, '-ldflags', goLdflags({}), '-o', path.join(out, 'etcd'), 'go.etcd.io/etcd/server/v3'], src);
  });
  return path.join(dir, 'etcd');
}
