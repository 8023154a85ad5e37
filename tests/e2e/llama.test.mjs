// A modern decoder in the page (tiny llama-family models from tests/reference): opened as a
// sharded checkpoint from files and from a folder on the site, every view drawn, and the
// numbers equal to `tokenscope inspect`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import {
  ROOT, SHOTS, CELEBRATION, CLI, session, allViews, openPage, ready, settle, readTable, assertMatrix,
} from './helpers.mjs';

const FIXTURES = join(ROOT, 'tests', 'reference', 'fixtures');

function cliInspect(folder, text, fields) {
  const out = execFileSync(CLI, ['inspect', '--model', folder, '--text', text, '--top', '10', '--fields', fields], { maxBuffer: 1 << 28 });
  return JSON.parse(out.toString());
}

/** How many numbers the safetensors files of a folder hold, read from their headers. */
function storedParameters(folder) {
  let total = 0;
  for (const name of readdirSync(folder).filter((f) => f.endsWith('.safetensors'))) {
    const bytes = readFileSync(join(folder, name));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
    for (const [key, info] of Object.entries(header)) {
      if (key !== '__metadata__') total += info.shape.reduce((a, b) => a * b, 1);
    }
  }
  return total;
}

/** Every file of a fixture folder but generation_config.json, as the file picker gives them. */
function folderFiles(name) {
  const dir = join(FIXTURES, name);
  return readdirSync(dir).filter((f) => f !== 'generation_config.json').map((f) => join(dir, f));
}

test('a sharded llama opened from files: every view draws, and its numbers are the CLI\'s', async () => {
  const { page, context, problems, foreign } = await openPage(`${session.server.url}?b=&view=next`);
  const folder = join(FIXTURES, 'tiny-llama-sharded');
  await page.setInputFiles('#model-files', folderFiles('tiny-llama-sharded'));
  await page.waitForFunction(() => /llama/.test(document.querySelector('#model-info').textContent));
  await ready(page);
  assert.match(await page.textContent('#model-info'), /llama · 2 layers × 8 heads \(2 key\/value heads\) · hidden 64 · vocabulary 320 · RoPE · RMSNorm · SwiGLU/);
  await page.fill('#sentence-a', CELEBRATION);
  const cli = cliInspect(folder, CELEBRATION, 'ids,tokens,attentions,next_token');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=token][data-sentence=a]').length === n, cli.ids.length);
  await settle(page);
  assert.equal(await page.$eval('[data-testid=token][data-sentence=a]', (e) => e.dataset.token), '<|begin_of_text|>');
  // The next token after the text, and the attention of layer 1, head 6.
  const next = await readTable(page, '[data-testid=next-token-table]');
  next.cells.forEach((row, r) => {
    assert.equal(Number(row[1]), cli.next_token.top[r].id, `rank ${r + 1}`);
    assert.ok(Math.abs(Number(row[2]) - cli.next_token.top[r].prob) <= 0.00005 + 1e-6, `rank ${r + 1} prob`);
  });
  await page.click('nav.tabs button[data-view=head]');
  await page.selectOption('#layer', '1');
  await page.selectOption('#head', '6');
  await settle(page);
  assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=a]'), cli.attentions[1][6], 'llama layer 1 head 6');
  assert.match(await page.textContent('#kv-groups'), /0–3 → K\/V 0 · 4–7 → K\/V 1/);
  // Rotary positions: the angle table and the distance curves replace the position table.
  await page.click('nav.tabs button[data-view=position]');
  await page.waitForSelector('#position-heading-rotary:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#sum-table tbody tr').length === 3);
  assert.ok(await page.isHidden('#position-heading-learned'));
  assert.match(await page.textContent('#sum-text'), /depends only on how far apart/);
  // Every view, light and English, then dark and Chinese.
  for (const [theme, lang] of [['light', 'en'], ['dark', 'zh']]) {
    if (theme === 'dark') {
      await page.click('#theme');
      await page.selectOption('#lang', 'zh');
    }
    for (const view of await allViews(page)) {
      await page.click(`nav.tabs button[data-view=${view}]`);
      await ready(page);
      await page.waitForTimeout(150);
      const suffix = theme === 'dark' ? '-dark-zh' : '';
      await page.screenshot({ path: join(SHOTS, `llama-${view}${suffix}.png`), fullPage: true });
    }
  }
  const status = await page.textContent('#status');
  assert.ok(!/failed|error/i.test(status), status);
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  await context.close();
});

test('a sharded folder on the site loads through its index when it has no model.safetensors', async () => {
  const folder = join(FIXTURES, 'tiny-llama-sharded');
  const overrides = {};
  for (const name of readdirSync(folder)) overrides[`/hosted/tiny-llama/${name}`] = readFileSync(join(folder, name));
  const hosted = await serve(join(ROOT, 'dist'), { overrides });
  const context = await session.browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await page.goto(`${hosted.url}?model=hosted/tiny-llama&b=&view=architecture`);
    await page.waitForFunction(() => /tiny-llama · llama/.test(document.querySelector('#model-info').textContent), null, { timeout: 90_000 });
    await ready(page);
    const shards = hosted.requests.filter((r) => /model-000\d\d-of-00010\.safetensors$/.test(r));
    assert.equal(new Set(shards).size, 10, 'every shard fetched');
    assert.ok(hosted.requests.includes('/hosted/tiny-llama/model.safetensors.index.json'));
    // The architecture panel: its parts add up to the model's parameters.
    const table = await readTable(page, '[data-testid=architecture-table]');
    const total = table.cells[table.cells.length - 1];
    assert.equal(total[0], '124,439,808', 'GPT-2 small');
    assert.equal(Number(total[1].replaceAll(',', '')), storedParameters(folder), 'the shards hold as many numbers');
    assert.match(await page.textContent('#architecture-text'), /RMSNorm instead of LayerNorm/);
    // The one expected console error: the 404 of model.safetensors before the index is tried.
    assert.deepEqual(problems.filter((p) => !/404/.test(p)), []);
  } finally {
    await context.close();
    await hosted.close();
  }
});
