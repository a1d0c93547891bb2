// helm is the one we built: it reports its stamped version and renders charts for the
// Kubernetes version of our test cluster (not helm's unstamped default, v1.20).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { testEnv } from '../env/testing.ts';
import { PROJECT_ROOT } from '../env/paths.ts';
import { HELM_VERSION, KUBERNETES_VERSION } from '../env/versions.ts';

const execFileAsync = promisify(execFile);
const CHART = path.join(PROJECT_ROOT, 'test', 'fixtures', 'trivial-chart');

describe('test environment: helm', () => {
  it('reports the stamped helm version', async () => {
    const { stdout } = await execFileAsync(testEnv('HELM'), ['version', '--template', '{{.Version}}']);
    assert.equal(stdout.trim(), HELM_VERSION);
  });

  it('renders a chart with .Capabilities.KubeVersion = the stamped Kubernetes version', async () => {
    const { stdout } = await execFileAsync(testEnv('HELM'), ['template', 'capabilities', CHART]);
    const doc = yaml.load(stdout) as { kind?: string; data?: Record<string, string> };
    assert.equal(doc.kind, 'ConfigMap');
    const [major, minor] = KUBERNETES_VERSION.replace(/^v/, '').split('.');
    // helm keeps only major.minor of the stamp and renders the version as vMAJOR.MINOR.0.
    assert.deepEqual(doc.data, {
      greeting: 'hello',
      kubeVersion: `v${String(major)}.${String(minor)}.0`,
      kubeMajor: major,
      kubeMinor: minor,
    });
  });
});
