// Bundles the Amazon Chime SDK for JavaScript for the test page: build/chime-sdk.js, an IIFE that
// sets `window.ChimeSDK`. The SDK ships no browser bundle; these options are the ones it needs:
// browser field resolution first (else esbuild reaches for `node:fs`), and `global` defined as
// `globalThis` (else it fails at run time).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

const SDK_BUNDLE = path.join(here, 'build', 'chime-sdk.js');

await build({
  entryPoints: [path.join(here, 'src', 'sdk-entry.js')],
  outfile: SDK_BUNDLE,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  mainFields: ['browser', 'module', 'main'],
  define: { global: 'globalThis' },
  target: 'chrome120',
  sourcemap: 'linked',
  logLevel: 'warning',
});

console.log(`built ${path.relative(process.cwd(), SDK_BUNDLE)}`);
