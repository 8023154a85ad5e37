// The "why" tools in the page: the logit lens of the embedded GPT equal to
// `tokenscope inspect --fields logit_lens`, in English and Chinese, with screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ROOT, SHOTS, CELEBRATION, CLI, link, openPage, settle, readTable,
} from './helpers.mjs';

const GPT = join(ROOT, 'assets', 'models', 'tokenscope-gpt');

function cliLens(text) {
  const out = execFileSync(CLI, ['inspect', '--model', GPT, '--text', text, '--top', '10', '--fields', 'tokens,logit_lens']);
  return JSON.parse(out.toString());
}

/** A token as the page writes it: GPT-2's Ġ, Ċ and ĉ as ␣, ↵ and ⇥. */
const readable = (token) => token.replaceAll('Ġ', '␣').replaceAll('Ċ', '↵').replaceAll('ĉ', '⇥');

test('the logit lens shows every layer\'s first guess as the CLI computes it, in both languages', async () => {
  for (const lang of ['en', 'zh']) {
    const { page, context, problems } = await openPage(link({ view: 'lens', model: 'models/tokenscope-gpt', token: '4', lang }));
    await page.waitForSelector('#lens-table table');
    const grid = await readTable(page, '#lens-table table');
    const cli = cliLens(CELEBRATION);
    assert.equal(grid.rows.length, cli.logit_lens.length, 'a row per layer and the output');
    for (const [r, row] of cli.logit_lens.entries()) {
      for (const [i, cell] of row.entries()) {
        const top = cell[0];
        assert.equal(grid.cells[r][i], `${readable(top.token)} ${top.prob.toFixed(4)}`, `row ${r} position ${i}`);
      }
    }
    // A click on a cell of the first row opens its top 10.
    const box = await page.locator('#canvas-lens').boundingBox();
    const layout = await page.locator('#canvas-lens').evaluate((c) => ({ w: c.width, h: c.height }));
    assert.ok(box && layout.w > 0);
    await page.locator('#lens-cell-table table').waitFor();
    const output = await page.locator('#lens-cell-table table').getAttribute('data-row');
    assert.equal(output, String(cli.logit_lens.length - 1), 'the output row at first');
    await page.screenshot({ path: join(SHOTS, `lens-${lang}.png`), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  }
});

function cliNext(text, ablate) {
  const args = ['inspect', '--model', GPT, '--text', text, '--top', '50', '--fields', 'tokens,next_token'];
  if (ablate) args.push('--ablate', ablate);
  return JSON.parse(execFileSync(CLI, args).toString());
}

test('heads switched off: the link keeps them, every view says so, and the numbers are the CLI\'s --ablate', async () => {
  for (const lang of ['en', 'zh']) {
    const url = link({ view: 'ablate', model: 'models/tokenscope-gpt', ablate: '0.1,2.3', lang });
    const { page, context, problems } = await openPage(url);
    await page.waitForSelector('#ablate-table table');
    assert.equal(await page.locator('#ablation-banner').isVisible(), true, 'the banner shows');
    const table = await readTable(page, '#ablate-table table');
    // The last position's comparison: before = every head on, after = --ablate 0.1,2.3.
    const before = cliNext(CELEBRATION);
    const after = cliNext(CELEBRATION, '0.1,2.3');
    const prob = (run, label) => run.next_token.top.find((t) => readable(t.token) === label)?.prob;
    for (const [r, label] of table.rows.entries()) {
      const b = prob(before, label);
      const a = prob(after, label);
      if (b !== undefined) assert.equal(table.cells[r][0], b.toFixed(4), `${label} before`);
      if (a !== undefined) assert.equal(table.cells[r][1], a.toFixed(4), `${label} after`);
    }
    assert.ok(new URL(page.url()).searchParams.get('ablate') === '0.1,2.3', 'the link keeps the heads');
    await page.screenshot({ path: join(SHOTS, `ablate-${lang}.png`), fullPage: true });
    // Switching every head back on takes the banner away and empties the comparison.
    await page.click('#ablation-clear');
    await settle(page);
    assert.equal(await page.locator('#ablation-banner').isVisible(), false);
    assert.equal(new URL(page.url()).searchParams.get('ablate'), null);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('neighbours: the nearest tokens are the CLI\'s, the word map draws, and a typed word is looked up', async () => {
  for (const lang of ['en', 'zh']) {
    const { page, context, problems } = await openPage(link({ view: 'neighbours', token: '8', lang }));
    await page.waitForSelector('#neighbours-table table', { state: 'attached' });
    const cli = JSON.parse(execFileSync(CLI, ['neighbours', '--token', 'party', '--k', '10']).toString());
    const table = await readTable(page, '#neighbours-table table');
    assert.deepEqual(table.cells.map((r) => r[0]), cli.neighbours.map((n) => n.token));
    assert.deepEqual(table.cells.map((r) => r[2]), cli.neighbours.map((n) => n.cosine.toFixed(4)));
    await page.waitForSelector('#map-table table', { state: 'attached' });
    const map = await readTable(page, '#map-table table');
    assert.ok(map.rows.includes('banana') && map.rows.includes('cat'), 'the seed\'s words are on the map');
    await page.screenshot({ path: join(SHOTS, `neighbours-${lang}.png`), fullPage: true });
    // A typed word replaces the selected token.
    await page.fill('#neighbours-word', 'banana');
    await page.waitForFunction(() => document.querySelector('#neighbours-table table')?.getAttribute('data-token') === 'banana');
    const banana = JSON.parse(execFileSync(CLI, ['neighbours', '--token', 'banana', '--k', '10']).toString());
    const typed = await readTable(page, '#neighbours-table table');
    assert.equal(typed.cells[0][0], banana.neighbours[0].token);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('the query/key map draws the chosen head, keeps every attention row, and grows with the examples', async () => {
  for (const lang of ['en', 'zh']) {
    const { page, context, problems } = await openPage(link({ view: 'qkmap', layer: '2', head: '5', lang }));
    await page.waitForSelector('#qk-table table', { state: 'attached' });
    const table = await readTable(page, '#qk-table table');
    const ids = JSON.parse(execFileSync(CLI, ['inspect', '--text', CELEBRATION, '--fields', 'tokens']).toString());
    assert.equal(table.rows.filter((_, i) => table.cells[i][0] === 'A').length, ids.tokens.length, 'every token of A');
    const text = await page.textContent('#qk-text');
    const change = Number(text.match(/(\d\.\de-?\d+)/)[1]);
    assert.ok(change < 1e-5, `attention unchanged by the normalisation (${change})`);
    await page.screenshot({ path: join(SHOTS, `qkmap-${lang}.png`), fullPage: true });
    await page.check('#qk-examples');
    await page.waitForFunction((n) => document.querySelectorAll('#qk-table tbody tr').length > n, table.rows.length);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

/** Starts recording the page's long main-thread tasks (over 50 ms) and the scan's texts. */
async function watchMainThread(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(Math.round(entry.duration));
    }).observe({ type: 'longtask' });
    window.__scanTexts = new Set();
    window.__scanWatch = setInterval(() => {
      const text = document.querySelector('#ablate-scan-text')?.textContent;
      if (text) window.__scanTexts.add(text);
    }, 5);
  });
}

async function scanFinished(page) {
  await page.waitForFunction(() => {
    const t = document.querySelector('#ablate-scan-table table');
    return t && t.dataset.total && t.dataset.done === t.dataset.total;
  }, null, { timeout: 120_000 });
  return page.evaluate(() => {
    clearInterval(window.__scanWatch);
    // The last text may have come with the last slice, after the watch's last look.
    const now = document.querySelector('#ablate-scan-text')?.textContent;
    if (now && window.__scanTexts) window.__scanTexts.add(now);
    const t = document.querySelector('#ablate-scan-table table');
    return {
      longest: Math.max(0, ...(window.__longTasks ?? [])),
      tasks: window.__longTasks ?? [],
      texts: [...(window.__scanTexts ?? [])],
      total: Number(t.dataset.total),
      top: t.dataset.top,
    };
  });
}

const LONG_TEXT = 'students celebrate the graduation with a big party while the deputy leader, who is highly respected in the party, gives a short speech about hard work and friendship';

test('the ablation scan removes every head in the worker, in slices, while the page stays responsive', async () => {
  // BERT (72 heads) on a longer text: the heatmap fills slice by slice.
  const { page, context, problems } = await openPage(link({ view: 'tokens', a: LONG_TEXT, token: '8' }));
  await watchMainThread(page);
  await page.click('#tab-ablate');
  const bert = await scanFinished(page);
  assert.equal(bert.total, 72, '6 layers × 12 heads');
  assert.ok(bert.texts.some((t) => /so far/.test(t)), `progress was shown: ${bert.texts.join(' | ')}`);
  assert.ok(bert.texts.some((t) => /moves the final vector of “party” most/.test(t)), 'then the head that matters most');
  assert.ok(bert.longest < 100, `the longest main-thread task took ${bert.longest} ms`);
  console.log(`scan of 72 heads: main-thread tasks over 50 ms: [${bert.tasks.join(', ')}] ms, ${bert.texts.length} texts shown`);
  await page.screenshot({ path: join(SHOTS, 'ablate-scan-bert.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a GPT\'s scan equals the CLI\'s --ablate head by head, and heads switched off survive the link, in both languages', async () => {
  for (const lang of ['en', 'zh']) {
    const { page, context, problems } = await openPage(link({ view: 'ablate', model: 'models/tokenscope-gpt', layer: '1', head: '2', lang }));
    const scan = await scanFinished(page);
    const table = await readTable(page, '#ablate-scan-table table');
    // The selected token is the last: the CLI's next_token is its distribution.
    const full = cliNext(CELEBRATION);
    assert.equal(scan.top, String(full.next_token.top[0].id), 'the full model\'s first choice');
    const heads = table.cols.length;
    for (const [layer, head] of [[0, 0], [1, 2], [table.rows.length - 1, heads - 1]]) {
      const off = cliNext(CELEBRATION, `${layer}.${head}`);
      const after = off.next_token.top.find((t) => String(t.id) === scan.top).prob;
      const expected = full.next_token.top[0].prob - after;
      const shown = Number(table.cells[layer][head]);
      assert.ok(Math.abs(shown - expected) <= 5e-5 + 1e-6, `head ${layer}.${head}: ${shown} vs ${expected}`);
    }
    // Switch the shown head off; the link carries it to a fresh page.
    await page.click('#ablate-head');
    await settle(page);
    const url = page.url();
    assert.equal(new URL(url).searchParams.get('ablate'), '1.2');
    if (lang === 'en') await page.screenshot({ path: join(SHOTS, 'ablate-scan-gpt.png'), fullPage: true });
    else await page.screenshot({ path: join(SHOTS, 'ablate-scan-gpt-zh.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
    const again = await openPage(url);
    await again.page.waitForSelector('#ablate-table table');
    assert.equal(await again.page.locator('#ablate-table table').getAttribute('data-ablated'), '1.2');
    assert.equal(await again.page.locator('#ablation-banner').isVisible(), true);
    assert.deepEqual(again.problems, []);
    await again.context.close();
  }
});
