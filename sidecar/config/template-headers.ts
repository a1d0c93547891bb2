/**
 * Which headers the events a component receives can have, known completely from the
 * configuration: every source sets a fixed set (TAILDIR its file groups' static headers,
 * fileHeaderKey, byteoffset; exec, seq and netcat none) and each interceptor one. A template naming
 * any other header would render empty for every event: a configuration error, not a surprise in
 * Kafka.
 */
import type { Settings } from './settings.ts';
import type { SourceSpec } from './agent-config.ts';
import type { Interceptor } from '../interceptors/interceptor.ts';
import { unknownHeader, type Template } from '../template.ts';
import { BYTE_OFFSET_HEADER, type FileGroup, type TaildirConfig } from '../sources/taildir/config.ts';

/** The headers the events of one TAILDIR file group are read with. */
export function groupHeaders(config: TaildirConfig, group: FileGroup): string[] {
  return [
    ...Object.keys(group.headers),
    ...(config.fileHeader ? [config.fileHeaderKey] : []),
    ...(config.byteOffsetHeader ? [BYTE_OFFSET_HEADER] : []),
  ];
}

/** The headers a source's events can have once through its interceptors. */
export function sourceHeaders(spec: SourceSpec, interceptors: readonly Interceptor[]): Set<string> {
  const read = spec.type === 'taildir' ? spec.config.groups.flatMap((group) => groupHeaders(spec.config, group)) : [];
  return new Set([...read, ...interceptors.map((interceptor) => interceptor.header)]);
}

/** Refuses `template` (the value of `key`) if it names a header outside `available`; `events` says whose events, for the message. */
export function checkTemplateHeaders(settings: Settings, key: string, template: Template | undefined, available: ReadonlySet<string>, events: string): void {
  const unknown = template === undefined ? undefined : unknownHeader(template, available);
  if (template === undefined || unknown === undefined) return;
  const have = available.size === 0 ? 'they have no headers' : `they can have ${[...available].sort().join(', ')}`;
  throw settings.error(key, `invalid value "${template.text}": %{${unknown}} names a header that no event ${events} can have (${have}; headers come from TAILDIR headers.<g>.<name>, fileHeader, byteOffsetHeader and interceptors)`);
}
