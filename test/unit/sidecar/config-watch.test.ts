// The configuration watcher on a kubelet-style ConfigMap directory: content changes, and the file
// disappearing and coming back (an optional ConfigMap deleted and re-created), each reported once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ConfigWatcher } from '../../../sidecar/config/watch.ts';
import { configFileReason } from '../../../sidecar/http.ts';
import { ConfigMapDir } from '../../helpers/configmap-dir.ts';
import { until } from '../../helpers/until.ts';

describe('ConfigWatcher', () => {
  it('reports a file that appears, disappears and comes back; a change of content only when it differs', { timeout: 20_000 }, async () => {
    const dir = new ConfigMapDir({});
    const seen: string[] = [];
    const watcher = new ConfigWatcher(dir.path('agent.properties'), () => seen.push('change'), 100, (present) => seen.push(present ? 'present' : 'gone'));
    try {
      dir.update({ 'agent.properties': 'a = 1\n' });
      await until('the file to appear', () => seen.length >= 2);
      dir.update({});
      await until('the file to go', () => seen.length >= 3);
      dir.update({ 'agent.properties': 'a = 1\n' }); // back unchanged: no change
      await until('the file to come back', () => seen.length >= 4);
      dir.update({ 'agent.properties': 'a = 2\n' });
      await until('the change', () => seen.length >= 5);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.deepEqual(seen, ['present', 'change', 'gone', 'present', 'change']);
    } finally {
      watcher.close();
      rmSync(dir.dir, { recursive: true, force: true });
    }
  });

  it('/readyz names the file when it is missing or removed', () => {
    assert.match(configFileReason('waiting', '/etc/logshipper/agent.properties') ?? '', /^configuration file \/etc\/logshipper\/agent\.properties does not exist: waiting for it/);
    assert.match(configFileReason('gone', '/etc/logshipper/agent.properties') ?? '', /was removed: the last loaded configuration keeps running/);
    assert.equal(configFileReason('loaded', '/etc/logshipper/agent.properties'), undefined);
  });
});
