// Building Go programs from their modules with the machine's Go (no prebuilt binaries can be
// downloaded here, and building from the module proxy pins exactly the sources of a release).
import fs from 'node:fs';
import path from 'node:path';
import { run, TestEnvError } from './process.ts';
import { cachePath } from './cache.ts';
import { logFile } from './paths.ts';

/**
 * GOTOOLCHAIN=local: never let a go.mod line fetch another toolchain behind our back; if a
 * module needs a newer Go, the build should say so. GOWORK=off: a go.work in some parent
 * folder must not leak into the wrapper modules.
 */
export const GO_ENV: Record<string, string> = { GOTOOLCHAIN: 'local', GOWORK: 'off' };

/** Flags for every build: reproducible paths, no VCS stamping (the cache sits inside our git repo). */
export const GO_BUILD_FLAGS = ['-trimpath', '-buildvcs=false'];

export function goLdflags(vars: Record<string, string>): string {
  // -s -w: no symbol tables or DWARF; these binaries are run, never debugged, and this halves them.
  return ['-s', '-w', ...Object.entries(vars).map(([k, v]) => `-X ${k}=${v}`)].join(' ');
}

export async function go(component: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  // A cold kubernetes build takes ~15 minutes on 2 cores; the limit only catches a hang.
  return run(component, 'go', args, { cwd, env: { ...GO_ENV, ...env }, log: logFile(`build-${component}`), timeoutMs: 60 * 60_000 });
}

/** Path of a module's go.mod file in the module cache (downloads it if needed). */
export async function downloadedGoMod(component: string, moduleAtVersion: string): Promise<string> {
  const dir = cachePath('go-tmp');
  fs.mkdirSync(dir, { recursive: true });
  const out = await go(component, ['mod', 'download', '-json', moduleAtVersion], dir);
  const info = JSON.parse(out) as { GoMod?: string; Error?: string };
  if (info.GoMod === undefined) {
    throw new TestEnvError(component, `go mod download gave no go.mod for ${moduleAtVersion}: ${info.Error ?? out}`, { command: `go mod download -json ${moduleAtVersion}` });
  }
  return info.GoMod;
}

/**
 * (Re)writes a wrapper module in `<cache>/<name>`: a main module of our own whose go.mod has the
 * given text, then `go get`s `packages` so that go.mod/go.sum list everything they need.
 * Wrappers exist for modules whose own go.mod has `replace` directives (kubernetes, etcd), which
 * `go install pkg@version` refuses and which a dependent module ignores.
 */
export async function wrapperModule(component: string, name: string, goModText: string, packages: string[]): Promise<string> {
  const dir = cachePath(name);
  fs.mkdirSync(dir, { recursive: true });
  // Only called when a build is needed, so always start from a clean go.mod: `go get` then
  // adds every requirement that the packages need, at the versions their modules ask for.
  fs.rmSync(path.join(dir, 'go.sum'), { force: true });
  fs.writeFileSync(path.join(dir, 'go.mod'), goModText);
  await go(component, ['get', ...packages], dir);
  return dir;
}
