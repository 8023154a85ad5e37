// The lesson in the page: every step at 1280 × 720 in English and Chinese and in
// presentation mode (screenshots), its claims equal to the CLI's numbers, the keys and the
// link, and a step area that never overflows the screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ROOT, SHOTS, CELEBRATION, POLITICS, CLI, link, openPage, settle, inspect,
} from './helpers.mjs';

const GPT = join(ROOT, 'assets', 'models', 'tokenscope-gpt');
/** A token as the page writes it: GPT-2's Ġ as ␣. */
const readable = (token) => token.replaceAll('Ġ', '␣').replaceAll('Ċ', '↵');

const STEPS = 13;

async function claims(page) {
  return page.$$eval('[data-testid=lesson-step] [data-claim]', (els) => els.map((e) => ({
    kind: e.dataset.claim, sentence: e.dataset.sentence, token: e.dataset.token, value: e.dataset.value,
  })));
}

async function step(page) {
  return Number(await page.getAttribute('[data-testid=lesson-step]', 'data-step'));
}

/** Waits until the step's numbers are on screen (a step with a model to load takes longer). */
async function stepReady(page, n) {
  await page.waitForFunction((n) => {
    const s = document.querySelector('[data-testid=lesson-step]');
    return s && s.dataset.step === String(n) && s.querySelector('[data-claim]')
      && document.body.dataset.state === 'ready' && document.body.dataset.modelReady === '1';
  }, n, { timeout: 90_000 });
}

/** The mean over heads of layer 0 from `word`, leaving out [CLS], [SEP] and the word. */
function partner(text, word) {
  const { tokens, attentions } = inspect(text, { fields: 'tokens,attentions' });
  const i = tokens.indexOf(word);
  const heads = attentions[0];
  let best = null;
  tokens.forEach((t, j) => {
    if (j === i || t === '[CLS]' || t === '[SEP]') return;
    const w = heads.reduce((sum, h) => sum + h[i][j], 0) / heads.length;
    if (!best || w > best.weight) best = { token: t, weight: w };
  });
  return best;
}

test('every step, in both languages and in presentation mode, fits the screen and states live numbers', async () => {
  for (const lang of ['en', 'zh']) {
    for (const present of [false, true]) {
      const params = { lesson: '1', step: '1', lang };
      if (present) params.present = '1';
      // The projector in a dark room: presentation mode in the dark theme too.
      if (present && lang === 'zh') params.theme = 'dark';
      const { page, context, problems } = await openPage(link(params));
      for (let n = 1; n <= STEPS; n += 1) {
        await stepReady(page, n);
        // The step's area fits a 1280 × 720 screen without scrolling inside it.
        const box = await page.locator('[data-testid=lesson-step]').boundingBox();
        assert.ok(box.height <= 720, `step ${n} (${lang}${present ? ', presentation' : ''}) is ${box.height} px tall`);
        const overflow = await page.$eval('[data-testid=lesson-step]', (e) => e.scrollHeight - e.clientHeight);
        assert.ok(overflow <= 1, `step ${n} overflows by ${overflow} px`);
        if (present) {
          const size = await page.$eval('#lesson-body', (e) => parseFloat(getComputedStyle(e).fontSize));
          assert.ok(size >= 24, `presentation text is ${size} px`);
          assert.equal(await page.locator('#sentence-a').isVisible(), false, 'editing hidden');
        }
        const mode = present ? '-present' : '';
        await page.screenshot({ path: join(SHOTS, `lesson-${lang}${mode}-${String(n).padStart(2, '0')}.png`) });
        if (n < STEPS) await page.keyboard.press(n % 2 ? 'ArrowRight' : 'PageDown');
      }
      assert.equal(await step(page), STEPS);
      assert.deepEqual(problems, []);
      await context.close();
    }
  }
});

test('the attention step names the CLI\'s partners, follows an edit, and the link opens the step', async () => {
  const { page, context, problems } = await openPage(link({ lesson: '1', step: '8' }));
  await stepReady(page, 8);
  const shown = await claims(page);
  for (const [sentence, text] of [['a', CELEBRATION], ['b', POLITICS]]) {
    const cli = partner(text, 'party');
    const claim = shown.find((c) => c.kind === 'attention-partner' && c.sentence === sentence);
    assert.ok(claim, `a partner in ${sentence}`);
    assert.equal(claim.token, cli.token);
    assert.ok(Math.abs(Number(claim.value) - cli.weight) <= 5e-5 + 1e-6, `${claim.value} vs ${cli.weight}`);
  }
  // An edit: the partner is the CLI's for the new text.
  const edited = 'students enjoy the graduation with a big party';
  await page.fill('#sentence-a', edited);
  await settle(page);
  const after = (await claims(page)).find((c) => c.kind === 'attention-partner' && c.sentence === 'a');
  const cli = partner(edited, 'party');
  assert.equal(after.token, cli.token);
  assert.ok(Math.abs(Number(after.value) - cli.weight) <= 5e-5 + 1e-6);
  assert.equal(await page.locator('#lesson-edited').isVisible(), true);
  // ← goes back a step; the link keeps the step and reopens it.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowLeft');
  await stepReady(page, 7);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('lesson'), '1');
  assert.equal(url.searchParams.get('step'), '7');
  assert.deepEqual(problems, []);
  await context.close();
  const again = await openPage(url.toString());
  await stepReady(again.page, 7);
  const statics = (await claims(again.page)).find((c) => c.kind === 'static-cosine');
  assert.equal(statics.value, '1.0000', 'one table row for both parties');
  await again.context.close();
});

test('the handout: every step with its figure and numbers, one per printed page', async () => {
  const { page, context, problems } = await openPage(link({ lesson: '1', step: '4' }));
  await stepReady(page, 4);
  // The print dialog would block a headless browser: note that the page asked for it.
  await page.evaluate(() => { window.print = () => { document.body.dataset.printed = '1'; }; });
  await page.click('#lesson-print');
  await page.waitForSelector('body[data-printed="1"]', { timeout: 180_000 });
  assert.equal(await page.locator('#handout .handout-page').count(), STEPS);
  assert.equal(await step(page), 4, 'back at the step the teacher was on');
  const figures = await page.$$eval('#handout img.handout-figure', (imgs) => imgs.map((i) => i.complete && i.naturalWidth));
  assert.equal(figures.length, STEPS);
  assert.ok(figures.every((w) => w > 0), 'every figure loads');
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: join(SHOTS, 'lesson-handout-print.png'), fullPage: true });
  const pdf = await page.pdf({ path: join(SHOTS, 'lesson-handout.pdf'), format: 'A4', printBackground: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.equal(pages, STEPS, `the PDF has ${pages} pages`);
  assert.deepEqual(problems, []);
  await context.close();
});

function cosine(a, b) {
  let dot = 0; let aa = 0; let bb = 0;
  a.forEach((x, i) => { dot += x * b[i]; aa += x * x; bb += b[i] * b[i]; });
  return dot / Math.sqrt(aa * bb);
}

test('the ids, position and next-token steps state the CLI\'s numbers', async () => {
  const near = (shown, expected, what) => assert.ok(Math.abs(Number(shown) - expected) <= 5e-5 + 1e-6, `${what}: ${shown} vs ${expected}`);
  const { page, context, problems } = await openPage(link({ lesson: '1', step: '2' }));
  await stepReady(page, 2);
  const cliIds = inspect(CELEBRATION, { fields: 'tokens,ids' });
  for (const c of (await claims(page)).filter((c) => c.kind === 'token-id' && c.sentence === 'a')) {
    assert.equal(Number(c.value), cliIds.ids[cliIds.tokens.indexOf(c.token)], c.token);
  }
  // Step 10: "tim" in the two word orders, from the CLI's embeddings and hidden states.
  await page.click('.lesson-dot[data-step="10"]');
  await stepReady(page, 10);
  const a = inspect('Tim chased clouds all his life', { fields: 'tokens,embeddings,hidden_states' });
  const b = inspect('clouds chased Tim all his life', { fields: 'tokens,embeddings,hidden_states' });
  const [ia, ib] = [a.tokens.indexOf('tim'), b.tokens.indexOf('tim')];
  const shown = await claims(page);
  const value = (kind) => shown.find((c) => c.kind === kind).value;
  near(value('static-cosine'), cosine(a.embeddings.word[ia], b.embeddings.word[ib]), 'static');
  near(value('position-cosine'), cosine(a.hidden_states[0][ia], b.hidden_states[0][ib]), 'with positions');
  const last = a.hidden_states.length - 1;
  near(value('contextual-cosine'), cosine(a.hidden_states[last][ia], b.hidden_states[last][ib]), 'last layer');
  // Step 11 (the embedded GPT): the first choice after "big" is the CLI's.
  await page.keyboard.press('ArrowRight');
  await stepReady(page, 11);
  const cli = JSON.parse(execFileSync(CLI, ['inspect', '--model', GPT, '--text', 'students celebrate the graduation with a big', '--top', '10', '--fields', 'next_token']).toString());
  const next = (await claims(page)).find((c) => c.kind === 'next-token');
  near(next.value, cli.next_token.top[0].prob, 'next-token probability');
  assert.equal(next.token, readable(cli.next_token.top[0].token));
  assert.deepEqual(problems, []);
  await context.close();
});
