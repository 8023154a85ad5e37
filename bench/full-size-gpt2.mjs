// Opens a gpt2-sized model (tests/reference/full_size_gpt2.py writes one) on the built page
// through the file picker, as a user dropping gpt2's three files would, and reports how long
// it took, the memory the page states, the largest difference from PyTorch, the first
// next-token table after a 10-token prompt, and generation speed (32 greedy tokens). Where
// the folder holds bench/export_gpt2_onnx.py's ONNX export, onnxruntime-web (wasm, 1 thread
// and as many as the browser offers) then runs the same 10-token prompt in the same browser.
//
//   node bench/full-size-gpt2.mjs /tmp/gpt2-full
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../tests/e2e/serve.mjs';
import { ortFiles } from './ort-files.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = process.argv[2] ?? '/tmp/gpt2-full';
const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8'));
// Cross-origin isolated, as `trunk serve` serves the page, so the worker runs its threads
// build; BENCH_NOT_ISOLATED=1 serves it as a plain static host would (one thread).
const ONNX = join(folder, 'model-attentions.onnx');
const overrides = { '/bench.html': Buffer.from('<!doctype html><meta charset="utf-8"><title>bench</title>') };
const ort = ortFiles(ROOT);
if (existsSync(ONNX) && Object.keys(ort).length > 0) {
  Object.assign(overrides, ort, { '/gpt2.onnx': readFileSync(ONNX) });
}
const server = await serve(join(ROOT, 'dist'), {
  overrides,
  headers: process.env.BENCH_NOT_ISOLATED ? {} : {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
  },
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(`${server.url}?view=next&b=&a=${encodeURIComponent(reference.prompt)}`);
  await page.waitForSelector('body[data-model-ready="1"][data-state="ready"]', { timeout: 60_000 });
  const started = Date.now();
  await page.setInputFiles('#model-files', ['config.json', 'tokenizer.json', 'model.safetensors'].map((f) => join(folder, f)));
  await page.waitForFunction(() => / gpt2 /.test(document.querySelector('#model-info').textContent), null, { timeout: 300_000 });
  const loaded = Date.now() - started;
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=next-token-table] tbody tr').length === 10
    && document.querySelectorAll('[data-testid=token][data-sentence=a]').length === n
    && document.body.dataset.state === 'ready', reference.ids.length, { timeout: 300_000 });
  const analysed = Date.now() - started;
  const ids = await page.$$eval('[data-testid=token][data-sentence=a]', (els) => els.map((e) => Number(e.dataset.id)));
  assert.deepEqual(ids, reference.ids, 'token ids');
  const rows = await page.$$eval('[data-testid=next-token-table] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  let nextDiff = 0;
  const swapped = [];
  // The probabilities by rank must agree; two candidates whose probabilities are closer than
  // f16's rounding may trade places, so an id may differ only at such a near tie.
  rows.forEach((row, r) => {
    const want = reference.next_token_top[r];
    nextDiff = Math.max(nextDiff, Math.abs(Number(row[2]) - want.prob));
    if (Number(row[1]) !== want.id) {
      const neighbours = reference.next_token_top.filter((c) => Math.abs(c.prob - want.prob) < 1e-3);
      assert.ok(neighbours.length > 1, `rank ${r + 1}: id ${row[1]} instead of ${want.id}, not at a near tie`);
      swapped.push({ rank: r + 1, page: Number(row[1]), torch: want.id, prob: want.prob });
    }
  });
  let attentionDiff = 0;
  await page.click('nav.tabs button[data-view=head]');
  for (const [layer, key] of [[0, 'attention_layer0_head0'], [11, 'attention_layer11_head0']]) {
    await page.selectOption('#layer', String(layer));
    await page.waitForFunction((l) => document.querySelector('#layer').value === l && document.body.dataset.state === 'ready', String(layer));
    await page.waitForSelector('[data-testid=attention-table][data-sentence=a]', { state: 'attached' });
    const cells = await page.$eval('[data-testid=attention-table][data-sentence=a]', (t) =>
      [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
    reference[key].forEach((row, r) => row.forEach((value, c) => {
      attentionDiff = Math.max(attentionDiff, Math.abs(cells[r][c] - value));
    }));
  }
  // A 10-token prompt typed: keystroke to the next-token table redrawn (median of 5).
  await page.click('nav.tabs button[data-view=next]');
  const prompts = ['students celebrate the graduation with a big party tonight',
    'students celebrate the graduation with a big party today'];
  const firstTable = [];
  for (let run = 0; run < 6; run++) {
    const typed = Date.now();
    await page.fill('#sentence-a', prompts[run % 2]);
    await page.waitForFunction((text) => document.body.dataset.state === 'ready'
      && document.querySelectorAll('[data-testid=token][data-sentence=a]').length === 10
      && document.querySelectorAll('[data-testid=next-token-table] tbody tr').length === 10
      && document.querySelector('#sentence-a').value === text, prompts[run % 2], { timeout: 60_000 });
    if (run > 0) firstTable.push(Date.now() - typed);
  }
  firstTable.sort((a, b) => a - b);
  // Generation: 32 greedy tokens with the key/value cache, timed by the worker's own clock.
  await page.click('nav.tabs button[data-view=generate]');
  await page.fill('#gen-temperature', '0');
  await page.fill('#gen-max', '32');
  await page.waitForTimeout(300);
  const generating = Date.now();
  await page.click('#gen-run');
  await page.waitForSelector('[data-testid=gen-speed]', { timeout: 600_000 });
  const generateMs = Date.now() - generating;
  const speed = await page.$eval('[data-testid=gen-speed]', (e) => ({
    prompt_ms: Number(e.dataset.promptMs),
    tokens_per_second: Number(e.dataset.tokensPerSecond),
  }));
  const memory = await page.textContent('[data-testid=model-memory]');
  await page.screenshot({ path: join(ROOT, 'target', 'full-size-gpt2.png') });
  await page.close();
  const onnxruntimeWeb = overrides['/gpt2.onnx'] ? await ortPrompt(browser, reference.ids) : 'no ONNX export in the folder';
  console.log(JSON.stringify({
    parameters: reference.parameters,
    load_ms: loaded,
    load_and_first_analysis_ms: analysed,
    memory,
    next_token_largest_difference: nextDiff,
    near_ties_swapped: swapped,
    attention_largest_difference: attentionDiff,
    first_next_token_table_10_tokens_ms: firstTable[2],
    generate_32_tokens_ms: generateMs,
    worker_prompt_ms: speed.prompt_ms,
    worker_decode_tokens_per_second: speed.tokens_per_second,
    onnxruntime_web_prompt_10_tokens_ms: onnxruntimeWeb,
    console_errors: problems,
  }, null, 2));
  assert.ok(nextDiff <= 5e-3 + 5e-5, `next-token probabilities differ by ${nextDiff}`);
  assert.ok(attentionDiff <= 5e-3 + 5e-5, `attention differs by ${attentionDiff}`);
  assert.deepEqual(problems, []);
} finally {
  await browser.close();
  await server.close();
}

/**
 * onnxruntime-web's wasm backend on the gpt2-shaped export: the prompt's logits and every
 * layer's attentions (what the page's first next-token table needs), on 1 thread and on as
 * many as the browser offers, each in a fresh page (onnxruntime-web fixes its threads when
 * it starts); medians of 10 after 3 warm-up runs, in ms.
 */
async function ortPrompt(browser, ids) {
  const out = {};
  for (const threads of [1, 0]) {
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}bench.html`);
      const [used, ms] = await page.evaluate(async ({ ids, threads }) => {
        const ort = await import('./ort/ort.wasm.min.mjs');
        ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
        ort.env.wasm.numThreads = threads || navigator.hardwareConcurrency;
        const session = await ort.InferenceSession.create('./gpt2.onnx', { executionProviders: ['wasm'] });
        const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) };
        const times = [];
        for (let run = 0; run < 13; run++) {
          const started = performance.now();
          await session.run(feeds);
          if (run >= 3) times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        return [ort.env.wasm.numThreads, times[times.length >> 1]];
      }, { ids, threads });
      out[`${used}_thread${used > 1 ? 's' : ''}`] = ms;
    } finally {
      await page.close();
    }
  }
  return out;
}
