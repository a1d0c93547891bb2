// TAILDIR configuration: Flume 1.11 keys and defaults, logshipper extensions, errors naming the key,
// and which file-group paths are Flume regexes and which are globs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { parseProperties } from '../../../sidecar/config/properties.ts';
import { parseAgentConfig } from '../../../sidecar/config/agent-config.ts';
import { ConfigError } from '../../../sidecar/config/errors.ts';
import type { TaildirConfig } from '../../../sidecar/sources/taildir.ts';
import { DEFAULT_MAX_LINE_BYTES } from '../../../sidecar/size-limits.ts';
import { compileFilePattern } from '../../../sidecar/sources/taildir/pattern.ts';

const BASE = [
  'a.sources = r', 'a.channels = c', 'a.sinks = k',
  'a.sources.r.type = TAILDIR', 'a.sources.r.channels = c',
  'a.channels.c.type = memory', 'a.sinks.k.type = null', 'a.sinks.k.channel = c',
];

function load(lines: string[]): { config: TaildirConfig; warnings: string[] } {
  const agent = parseAgentConfig(parseProperties([...BASE, ...lines].join('\n')), 'agent.properties', 'a');
  const spec = agent.sources[0]?.spec;
  assert.equal(spec?.type, 'taildir');
  return { config: spec.config, warnings: agent.warnings.map((w) => w.message) };
}

function error(lines: string[]): ConfigError {
  try {
    load(lines);
  } catch (caught) {
    assert.ok(caught instanceof ConfigError, String(caught));
    return caught;
  }
  assert.fail('expected a configuration error');
}

describe('TAILDIR configuration', () => {
  it("reads Flume's documented example with Flume's defaults", () => {
    const { config, warnings } = load([
      'a.sources.r.type = org.apache.flume.source.taildir.TaildirSource',
      'a.sources.r.positionFile = /var/log/flume/taildir_position.json',
      'a.sources.r.filegroups = f1 f2',
      'a.sources.r.filegroups.f1 = /var/log/test1/example.log',
      'a.sources.r.headers.f1.headerKey1 = value1',
      'a.sources.r.filegroups.f2 = /var/log/test2/.*log.*',
      'a.sources.r.headers.f2.headerKey1 = value2',
      'a.sources.r.headers.f2.headerKey2 = value2-2',
      'a.sources.r.fileHeader = true',
      'a.sources.r.maxBatchCount = 1000',
    ]);
    assert.deepEqual(warnings, []);
    assert.equal(config.positionFile, '/var/log/flume/taildir_position.json');
    assert.deepEqual(config.groups.map((g) => [g.name, g.pattern.kind, g.pattern.baseDir, g.headers]), [
      ['f1', 'regex', '/var/log/test1', { headerKey1: 'value1' }],
      ['f2', 'regex', '/var/log/test2', { headerKey1: 'value2', headerKey2: 'value2-2' }],
    ]);
    assert.equal(config.fileHeader, true);
    assert.equal(config.fileHeaderKey, 'file');
    assert.equal(config.batchSize, 100);
    assert.equal(config.maxBatchCount, 1000);
    assert.equal(config.skipToEnd, false);
    assert.equal(config.idleTimeoutMs, 120_000);
    assert.equal(config.writePosIntervalMs, 3000);
  });

  it('has documented defaults for the logshipper extensions', () => {
    const { config } = load(['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /logs/**/*.log']);
    assert.equal(config.positionFile, `${homedir()}/.flume/taildir_position.json`);
    assert.deepEqual({
      poll: config.pollIntervalMs, rescan: config.rescanIntervalMs, rotateWait: config.rotateWaitMs, max: config.maxLineLength,
      policy: config.maxLineLengthPolicy, partial: config.partialLineTimeoutMs, encoding: config.encoding, multiline: config.multiline, maxBatchCount: config.maxBatchCount,
    }, { poll: 10_000, rescan: 10_000, rotateWait: 5000, max: DEFAULT_MAX_LINE_BYTES, policy: 'split', partial: 5000, encoding: 'utf8', multiline: undefined, maxBatchCount: 10 });
  });

  it('reads multiline and encoding settings', () => {
    const { config } = load([
      'a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /logs/app.log',
      'a.sources.r.multiline.continuationPattern = ^\\\\s+at ', 'a.sources.r.multiline.maxLines = 50', 'a.sources.r.multiline.flushTimeout = 200',
      'a.sources.r.encoding = iso-8859-1', 'a.sources.r.maxLineLengthPolicy = truncate',
    ]);
    assert.equal(config.multiline?.mode, 'continuation');
    assert.ok(config.multiline.pattern.test('    at x'));
    assert.equal(config.multiline.maxLines, 50);
    assert.equal(config.encoding, 'latin1');
    assert.equal(config.maxLineLengthPolicy, 'truncate');
  });

  const cases: [string, string[], RegExp][] = [
    ['no filegroups', [], /a\.sources\.r\.filegroups: is required/],
    ['a group without a path', ['a.sources.r.filegroups = g'], /a\.sources\.r\.filegroups\.g: is required/],
    ['a relative path', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = logs/app.log'], /agent\.properties:\d+: a\.sources\.r\.filegroups\.g: invalid value "logs\/app\.log": an absolute path is allowed/],
    ['a path ending in /', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /logs/'], /filegroups\.g: invalid value "\/logs\/": the path must end with a file name/],
    ['a bad regex', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /logs/(app.log'], /filegroups\.g: invalid value "\/logs\/\(app\.log": the file-name part is not a valid regular expression/],
    ['an unknown encoding', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.encoding = EBCDIC'], /a\.sources\.r\.encoding: invalid value "EBCDIC": one of UTF-8, .*UTF-16LE.* is allowed/],
    ['a negative idleTimeout', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.idleTimeout = -1'], /a\.sources\.r\.idleTimeout: invalid value "-1": an integer >= 1 is allowed/],
    ['a tiny maxLineLength', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.maxLineLength = 10'], /a\.sources\.r\.maxLineLength: invalid value "10"/],
    ['an unknown policy', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.maxLineLengthPolicy = drop'], /maxLineLengthPolicy: invalid value "drop": one of split, truncate is allowed/],
    ['both multiline modes', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.multiline.startPattern = ^S', 'a.sources.r.multiline.continuationPattern = ^C'], /multiline\.continuationPattern: cannot be set together with multiline\.startPattern/],
    ['a bad multiline pattern', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.multiline.startPattern = ^(S'], /multiline\.startPattern: invalid value "\^\(S": a regular expression is allowed/],
    ['a relative position file', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.positionFile = pos.json'], /a\.sources\.r\.positionFile: invalid value "pos\.json"/],
    ['skipToEnd not a boolean', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.skipToEnd = yes'], /a\.sources\.r\.skipToEnd: invalid value "yes": true or false is allowed/],
    ['batchSize over the channel transactionCapacity', ['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.batchSize = 500'], /a\.sources\.r\.batchSize: 500 is larger than the transactionCapacity 100/],
  ];
  for (const [what, lines, message] of cases) {
    it(`rejects ${what}, naming the key`, () => {
      assert.match(error(lines).message, message);
    });
  }

  it('warns about unknown keys (typos) and accepts Flume keys that mean nothing here', () => {
    const { warnings } = load(['a.sources.r.filegroups = g', 'a.sources.r.filegroups.g = /l/a', 'a.sources.r.skipToEnds = true', 'a.sources.r.cachePatternMatching = false', 'a.sources.r.maxBackoffSleep = 100']);
    assert.deepEqual(warnings, ['unknown key a.sources.r.skipToEnds is ignored']);
  });
});

describe('TAILDIR file-group paths', () => {
  const matches = (path: string, relative: string): boolean => compileFilePattern(path).matches(relative);

  it('a Flume path: literal directory, the last component a regex on file names in that directory only', () => {
    const pattern = compileFilePattern('/var/log/test2/.*log.*');
    assert.equal(pattern.kind, 'regex');
    assert.equal(pattern.baseDir, '/var/log/test2');
    assert.equal(pattern.depth, 0);
    assert.ok(pattern.matches('app.log.1'));
    assert.ok(!pattern.matches('sub/app.log'));
    assert.ok(matches('/l/app\\.log', 'app.log'));
    assert.ok(!matches('/l/app\\.log', 'app.log.1'), 'the regex is anchored');
    assert.ok(matches('/l/[0-9]+\\.log', '42.log'));
  });

  it('a glob: ** for any depth, * and ? within a name, [..] classes', () => {
    const deep = compileFilePattern('/logs/**/*.log');
    assert.deepEqual([deep.kind, deep.baseDir, deep.depth], ['glob', '/logs', Number.POSITIVE_INFINITY]);
    assert.ok(deep.matches('a.log') && deep.matches('x/y/z.log'));
    assert.ok(!deep.matches('a.log.1') && !deep.matches('a.txt'));
    const star = compileFilePattern('/logs/*.log');
    assert.deepEqual([star.kind, star.depth], ['glob', 0]);
    assert.ok(star.matches('app.log') && !star.matches('x/app.log'));
    const nested = compileFilePattern('/var/pods/*/app-?.[lt]og');
    assert.deepEqual([nested.baseDir, nested.depth], ['/var/pods', 1]);
    assert.ok(nested.matches('pod1/app-1.log') && nested.matches('pod2/app-x.tog'));
    assert.ok(!nested.matches('pod1/app-12.log') && !nested.matches('app-1.log'));
    assert.ok(compileFilePattern('/l/[!a]*.log').matches('b.log') && !compileFilePattern('/l/[!a]*.log').matches('a.log'));
  });
});
