// Bundles src/app.js and the Amazon Chime SDK for JavaScript into build/app.js, which index.html
// loads. The SDK ships no browser bundle; it needs browser field resolution first and `global`
// defined as `globalThis`.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, 'build', 'app.js');

await build({
  entryPoints: [path.join(here, 'src', 'app.js')],
  outfile,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  mainFields: ['browser', 'module', 'main'],
  define: { global: 'globalThis' },
  target: 'chrome120',
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});

console.log(`built ${path.relative(process.cwd(), outfile)}`);
