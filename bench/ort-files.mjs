// onnxruntime-web's files for a bench page of the site's origin (served at /ort/), from
// bench/node_modules; none when it is not installed. Used by speed.mjs and full-size-gpt2.mjs.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Server overrides mapping `/ort/<name>` to the files onnxruntime-web's wasm backend loads. */
export function ortFiles(root) {
  const dist = join(root, 'bench', 'node_modules', 'onnxruntime-web', 'dist');
  const files = {};
  if (!existsSync(dist)) return files;
  for (const name of readdirSync(dist)) {
    if (/^ort\.wasm\.min\.mjs$|^ort-wasm-simd-threaded\.(mjs|wasm)$/.test(name)) {
      files[`/ort/${name}`] = readFileSync(join(dist, name));
    }
  }
  return files;
}
