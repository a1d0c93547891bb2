// The position file: Flume's JSON format (and Flume's own files read), exact 64-bit inodes, atomic replacement.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPositions, readPositionFile, writePositionFile, type PositionEntry } from '../../../sidecar/sources/taildir/position-file.ts';

describe('TAILDIR position file', () => {
  it('round-trips entries, inode numbers above 2^53 exactly, Flume keys first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-pos-'));
    const path = join(dir, 'sub', 'taildir_position.json');
    const entries: PositionEntry[] = [
      { inode: '18446744073709551557', pos: 1234, file: '/var/log/app "x".log', dev: '2049', fp: '0123456789abcdef', fplen: 1024 },
      { inode: '12', pos: 0, file: '/var/log/b.log', dev: '2049', fp: '', fplen: 0 },
    ];
    const text = formatPositions(entries);
    assert.ok(text.startsWith('[{"inode":18446744073709551557,"pos":1234,"file":"/var/log/app \\"x\\".log"'), text);
    await writePositionFile(path, text);
    assert.deepEqual(await readPositionFile(path), entries);
  });

  it("reads Flume's own position file (inode, pos, file only) and a missing file as empty", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-pos-'));
    const path = join(dir, 'flume.json');
    writeFileSync(path, '[{"inode":2496292,"pos":1021,"file":"/var/log/test1/example.log"},{"inode":2496293,"pos":0,"file":"/var/log/test2/log.1"}]');
    assert.deepEqual(await readPositionFile(path), [
      { inode: '2496292', pos: 1021, file: '/var/log/test1/example.log', dev: undefined, fp: undefined, fplen: undefined },
      { inode: '2496293', pos: 0, file: '/var/log/test2/log.1', dev: undefined, fp: undefined, fplen: undefined },
    ]);
    assert.deepEqual(await readPositionFile(join(dir, 'missing.json')), []);
    writeFileSync(path, '{"not":"a list"}');
    await assert.rejects(readPositionFile(path), /not a JSON array/);
  });

  it('replaces the file by rename: no temp file is left, and a reader sees the old or the new content, never a mix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logshipper-pos-'));
    const path = join(dir, 'positions.json');
    const big = (n: number): string => formatPositions(Array.from({ length: 2000 }, (_, i) => ({ inode: String(i + 1), pos: n, file: `/logs/file-${i}.log` })));
    await writePositionFile(path, big(1));
    let reads = 0;
    const state = { writing: true };
    const reader = (async () => {
      while (state.writing) {
        const text = readFileSync(path, 'utf8');
        const parsed = JSON.parse(text) as { pos: number }[];
        assert.equal(parsed.length, 2000);
        assert.equal(new Set(parsed.map((e) => e.pos)).size, 1, 'all entries from one write');
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let n = 2; n < 40; n++) await writePositionFile(path, big(n));
    state.writing = false;
    await reader;
    assert.ok(reads > 0);
    assert.deepEqual(readdirSync(dir), ['positions.json']);
    assert.equal((await readPositionFile(path))[0]?.pos, 39);
  });
});
