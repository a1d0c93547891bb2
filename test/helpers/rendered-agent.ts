// What the operator renders for a LogShipper spec, pointed at a test directory instead of the
// sidecar's mounts: the volume at <dir>/volume, the position file at <dir>/positions.json.
import { join } from 'node:path';
import { render, type RenderContext } from '../../operator/render.ts';
import { LOG_VOLUME_MOUNT_PATH, POSITION_FILE_PATH } from '../../operator/sidecar-layout.ts';
import { resolveSpec } from '../../operator/spec.ts';

/** The agent's properties text, and the env vars it refers to (the injector gives the sidecar each). */
export function renderedAgentConfig(spec: unknown, context: RenderContext, dir: string): { text: string; env: string[] } {
  const rendered = render(resolveSpec(spec), context);
  const text = rendered.text.replaceAll(LOG_VOLUME_MOUNT_PATH, join(dir, 'volume')).replaceAll(POSITION_FILE_PATH, join(dir, 'positions.json'));
  return { text, env: rendered.env };
}
