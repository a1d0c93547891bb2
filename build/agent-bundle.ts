// The image's entrypoint as one CommonJS file (esbuild): the agent's modules and its pure-JS
// dependencies in a single script, so that the agent's process loads one file instead of ~250 ES
// modules, and Node's built-ins are `require`d rather than imported (importing one as an ES module
// reads every export, and node:http's lazy `WebSocket` export alone loads undici and http2).
// Dropped: prom-client's Pushgateway client (noPushgateway below). Left outside: kafkajs (kafkajs-fast.ts replaces some of its files in Node's require cache, so it
// must be the copy in node_modules), the native addons (@node-rs/crc32, and snappy and lz4-napi
// behind those codecs: required at run time, from node_modules), and the operator and the status
// command, which `logshipper operator|render|status` load from the compiled tree next to the bundle
// (dist/operator/, dist/cli/status/).
//   node build/agent-bundle.ts [OUTFILE]   (default dist/logshipper.cjs)
import { build, type Metafile, type Plugin } from 'esbuild';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
/** The bundle's file name, in dist/ beside tsc's output (the operator's modules it imports). */
export const BUNDLE_NAME = 'logshipper.cjs';
const DEFAULT_BUNDLE = join(ROOT, 'dist', BUNDLE_NAME);
export const EXTERNAL_PACKAGES = ['kafkajs', '@node-rs/crc32', 'snappy', 'lz4-napi'];

/** Kept out of the bundle (they need the Kubernetes client): the operator, and `logshipper status`. */
const OUTSIDE_DIRS = [join(ROOT, 'operator'), join(ROOT, 'cli', 'status')];

/** The operator's modules and the status command's stay out of the bundle: imported, lazily, from dist/ (tsc's output beside it). */
const operatorOutside: Plugin = {
  name: 'operator-outside',
  setup(builder) {
    builder.onResolve({ filter: /\/(operator|status)\// }, (args) => {
      const file = join(args.resolveDir, args.path);
      if (!OUTSIDE_DIRS.some((dir) => file.startsWith(`${dir}/`))) return undefined;
      return { path: `./${relative(ROOT, file).replace(/\.ts$/, '.js')}`, external: true };
    });
  },
};

/**
 * prom-client's Pushgateway client, which the agent never uses (Prometheus scrapes it), loads
 * node:https and with it node:tls (~1.5 MB RSS): in the bundle its module only throws if used.
 */
const noPushgateway: Plugin = {
  name: 'no-pushgateway',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]prom-client[\\/]lib[\\/]pushgateway\.js$/ }, () => ({
      contents: "module.exports = class Pushgateway { constructor() { throw new Error('prom-client Pushgateway is not in the agent bundle'); } };",
      loader: 'js',
    }));
  },
};

/** Bundles cli/main.ts into `outfile`; returns esbuild's metafile (what went into the bundle). */
export async function bundleAgent(outfile: string = DEFAULT_BUNDLE): Promise<Metafile> {
  const result = await build({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    external: EXTERNAL_PACKAGES,
    plugins: [operatorOutside, noPushgateway],
    // createRequire(import.meta.url) in kafkajs-fast.ts: in CommonJS the bundle's own file URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (process.argv[1] === import.meta.filename) {
  const outfile = process.argv[2] ?? DEFAULT_BUNDLE;
  await bundleAgent(outfile);
  console.log(`bundled the agent into ${outfile}`);
}
