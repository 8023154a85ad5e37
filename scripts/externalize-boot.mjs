// Trunk post-build hook: moves the inline module script Trunk writes into index.html out to
// boot.js, so the page runs under a Content-Security-Policy with script-src 'self' (no inline
// script, no hash to keep in sync).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('externalize-boot: TRUNK_STAGING_DIR is not set (run me as a Trunk hook)');
  process.exit(1);
}
const page = join(dir, 'index.html');
const html = readFileSync(page, 'utf8');
const inline = /<script type="module">([\s\S]*?)<\/script>/g;
const scripts = [...html.matchAll(inline)];
if (scripts.length !== 1) {
  console.error(`externalize-boot: expected 1 inline module script, found ${scripts.length}`);
  process.exit(1);
}
writeFileSync(join(dir, 'boot.js'), scripts[0][1].trim() + '\n');
const out = html.replace(inline, '<script type="module" src="./boot.js"></script>');
if (/<script(?![^>]*\ssrc=)[^>]*>/.test(out)) {
  console.error('externalize-boot: an inline script is still in index.html');
  process.exit(1);
}
writeFileSync(page, out);
