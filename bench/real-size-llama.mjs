// Opens a modern decoder of a real model's exact shape (tests/reference/real_size_llama.py
// writes one: SmolLM2-135M's or Qwen2.5-0.5B's, random BF16 weights) on the built page
// through the file picker, as a teacher dropping the downloaded files would, and reports the
// load time, the memory the page states, the first trace, generation speed, PyTorch's times
// from the same machine, and the largest difference from PyTorch's numbers.
//
//   node bench/real-size-llama.mjs /tmp/smollm2
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../tests/e2e/serve.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = process.argv[2] ?? '/tmp/smollm2';
const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8'));
// Cross-origin isolated, as `trunk serve` serves the page, so the worker runs its threads
// build; BENCH_NOT_ISOLATED=1 serves it as a plain static host would (one thread).
const server = await serve(join(ROOT, 'dist'), {
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
const readyState = (page, n) => page.waitForFunction((count) =>
  document.querySelectorAll('[data-testid=token][data-sentence=a]').length === count
  && document.body.dataset.state === 'ready', n, { timeout: 300_000 });

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(`${server.url}?view=next&b=&a=x`);
  await page.waitForSelector('body[data-model-ready="1"][data-state="ready"]', { timeout: 60_000 });
  const started = Date.now();
  await page.setInputFiles('#model-files', ['config.json', 'tokenizer.json', 'model.safetensors'].map((f) => join(folder, f)));
  await page.waitForFunction(() => / (llama|qwen2) /.test(document.querySelector('#model-info').textContent)
    && document.body.dataset.modelReady === '1', null, { timeout: 600_000 });
  const loadMs = Date.now() - started;
  await page.waitForSelector('body[data-state="ready"]', { timeout: 300_000 });
  // The first trace of the prompt, from the keystroke to the redrawn view.
  const typed = Date.now();
  await page.fill('#sentence-a', reference.prompt);
  await readyState(page, reference.ids.length);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=next-token-table] tbody tr').length === 10);
  const firstTraceMs = Date.now() - typed;
  const ids = await page.$$eval('[data-testid=token][data-sentence=a]', (els) => els.map((e) => Number(e.dataset.id)));
  assert.deepEqual(ids, reference.ids, 'token ids');
  const rows = await page.$$eval('[data-testid=next-token-table] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  let nextDiff = 0;
  rows.forEach((row, r) => {
    const want = reference.next_token_top[r];
    assert.equal(Number(row[1]), want.id, `rank ${r + 1}`);
    nextDiff = Math.max(nextDiff, Math.abs(Number(row[2]) - want.prob));
  });
  let attentionDiff = 0;
  await page.click('nav.tabs button[data-view=head]');
  for (const [layer, key] of [[0, 'attention_layer0_head0'], [reference.last_layer, 'attention_last_head0']]) {
    await page.selectOption('#layer', String(layer));
    await page.waitForFunction((l) => document.querySelector('#layer').value === l && document.body.dataset.state === 'ready', String(layer));
    await page.waitForSelector('[data-testid=attention-table][data-sentence=a]', { state: 'attached' });
    const cells = await page.$eval('[data-testid=attention-table][data-sentence=a]', (t) =>
      [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
    reference[key].forEach((row, r) => row.forEach((value, c) => {
      attentionDiff = Math.max(attentionDiff, Math.abs(cells[r][c] - value));
    }));
  }
  // Generation: greedy, all tokens at once, with the key/value cache in the worker.
  await page.click('nav.tabs button[data-view=generate]');
  await page.fill('#gen-temperature', '0');
  await page.fill('#gen-max', String(reference.generated_tokens));
  await page.waitForTimeout(300);
  const generating = Date.now();
  await page.click('#gen-run');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=generation-table] tbody tr').length >= n
    && document.body.dataset.state === 'ready', reference.generated_tokens, { timeout: 600_000 });
  const generateMs = Date.now() - generating;
  // The worker's own clock: the prompt's pass, then the rate of the later tokens.
  const speed = await page.$eval('[data-testid=gen-speed]', (e) => ({
    prompt_ms: Number(e.dataset.promptMs),
    tokens_per_second: Number(e.dataset.tokensPerSecond),
  }));
  const memory = await page.textContent('[data-testid=model-memory]');
  await page.screenshot({ path: join(ROOT, 'target', `real-size-${reference.shape}.png`), fullPage: true });
  const tokensPerSecond = (reference.generated_tokens / generateMs) * 1000;
  const torchTokensPerSecond = (reference.generated_tokens / reference.torch_generate_ms) * 1000;
  console.log(JSON.stringify({
    shape: reference.shape,
    parameters: reference.parameters,
    file_bytes: reference.file_bytes,
    load_ms: loadMs,
    memory,
    prompt_tokens: reference.ids.length,
    first_trace_ms: firstTraceMs,
    torch_trace_ms_1_thread: reference.torch_trace_ms,
    generated_tokens: reference.generated_tokens,
    generate_ms: generateMs,
    tokens_per_second: tokensPerSecond,
    worker_prompt_ms: speed.prompt_ms,
    worker_decode_tokens_per_second: speed.tokens_per_second,
    torch_tokens_per_second_1_thread: torchTokensPerSecond,
    generation_speed_ratio_page_over_torch: tokensPerSecond / torchTokensPerSecond,
    next_token_largest_difference: nextDiff,
    attention_largest_difference: attentionDiff,
    console_errors: problems,
  }, null, 2));
  assert.ok(nextDiff <= 1e-5 + 5e-5, `next-token probabilities differ by ${nextDiff}`);
  assert.ok(attentionDiff <= 1e-5 + 5e-5, `attention differs by ${attentionDiff}`);
  assert.deepEqual(problems, []);
} finally {
  await browser.close();
  await server.close();
}
