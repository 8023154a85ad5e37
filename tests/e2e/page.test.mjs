// The first page in headless Chromium: it loads the embedded model from its own origin,
// shows the seed's token ids, follows typing, and agrees with `tokenscope inspect`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'tests', 'e2e', 'out');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let server;
let browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  server = await serve(join(ROOT, 'dist'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(url = server.url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const problems = [];
  const foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(server.url)) foreign.push(r.url()); });
  await page.goto(url);
  return { page, problems, foreign };
}

async function chipIds(page) {
  return page.$$eval('#tokens-a .token-chip', (chips) => chips.map((c) => Number(c.dataset.id)));
}

// `cargo test` (run before these tests) leaves the CLI here; building it again would cost minutes.
const CLI = join(ROOT, 'target', 'debug', 'tokenscope');

function inspectIds(text) {
  const args = ['inspect', '--text', text, '--fields', 'ids,tokens'];
  const out = existsSync(CLI)
    ? execFileSync(CLI, args, { cwd: ROOT })
    : execFileSync('cargo', ['run', '-q', '--bin', 'tokenscope', '--', ...args], { cwd: ROOT });
  return JSON.parse(out.toString());
}

test('loads the embedded model and shows the seed token ids', async () => {
  const { page, problems, foreign } = await openPage();
  await page.waitForSelector('body[data-model-ready="1"]', { timeout: 60_000 });
  assert.deepEqual(await chipIds(page), [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]);
  const texts = await page.$$eval('#tokens-a .token-text', (els) => els.map((e) => e.textContent));
  assert.deepEqual(texts, ['[CLS]', 'students', 'celebrate', 'the', 'graduation', 'with', 'a', 'big', 'party', '[SEP]']);
  assert.match(await page.textContent('#shape-a'), /\[1, 10, 384\]/);
  assert.equal(page.workers().length, 1, 'the model runs in a Web Worker, not on the page');
  await page.screenshot({ path: join(OUT, 'tokens.png') });
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'no request leaves the page origin');
  assert.ok(server.requests.includes('/models/all-MiniLM-L6-v2/model.safetensors'));
  await page.close();
});

test('typing updates the tokens to what the CLI says', async () => {
  const { page, problems } = await openPage();
  await page.waitForSelector('body[data-model-ready="1"]', { timeout: 60_000 });
  for (const text of ['deputy leader is highly respected in the party', 'Tim chased clouds all his life', '<b>bold</b> 派对 🎉']) {
    await page.fill('#sentence-a', text);
    const expected = inspectIds(text);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#tokens-a .token-chip').length === n,
      expected.ids.length,
    );
    assert.deepEqual(await chipIds(page), expected.ids, text);
    const texts = await page.$$eval('#tokens-a .token-text', (els) => els.map((e) => e.textContent));
    assert.deepEqual(texts, expected.tokens, 'tokens are shown as text, never parsed as HTML');
  }
  assert.equal(await page.$$eval('#tokens-a b', (els) => els.length), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a missing model file gives a clear message, not a frozen page', async () => {
  const broken = await serve(join(ROOT, 'dist'), {
    overrides: { '/models/all-MiniLM-L6-v2/model.safetensors': Buffer.from('not a model') },
  });
  const page = await browser.newPage();
  await page.goto(broken.url);
  await page.waitForSelector('#status.error', { timeout: 60_000 });
  assert.match(await page.textContent('#status'), /model\.safetensors/);
  await page.close();
  await broken.close();
});
