// The Tokenizers view in the page: sentence A cut every way, GPT-2's row equal to
// `tokenscope tokenize --tokenizer gpt2`, a picked token's merges from the link, the
// English/Chinese cost, in both languages, with screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SHOTS, CELEBRATION, CLI, link, openPage } from './helpers.mjs';

function cli(tokenizer, text) {
  return JSON.parse(execFileSync(CLI, ['tokenize', '--tokenizer', tokenizer, '--text', text]).toString());
}

async function rowTable(page, level) {
  return page.$eval(`#tokenizer-rows table[data-level="${level}"]`, (t) => {
    const rows = [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    return { tokens: rows[0], ids: rows[1], spans: rows[2] };
  });
}

test('every tokenizer cuts sentence A as the CLI does, a picked token shows its merges, in both languages', async () => {
  for (const lang of ['en', 'zh']) {
    const { page, context, problems } = await openPage(link({ view: 'tokenizers', piece: 'gpt2.2', lang }));
    await page.waitForSelector('#tokenizer-rows table[data-level="gpt2"]', { state: 'attached' });
    for (const level of ['chars', 'bytes', 'words', 'wordpiece', 'gpt2']) {
      const shown = await rowTable(page, level);
      const expected = cli(level, CELEBRATION);
      assert.equal(shown.tokens.length, expected.tokens.length, level);
      expected.ids.forEach((id, i) => assert.equal(shown.ids[i], id === null ? '—' : String(id), `${level} id ${i}`));
      expected.spans.forEach((s, i) => assert.equal(shown.spans[i], s === null ? '—' : `${s[0]}–${s[1]}`, `${level} span ${i}`));
    }
    const steps = page.locator('#tokenizer-steps table');
    assert.equal(await steps.getAttribute('data-token'), '␣celebrate');
    await page.screenshot({ path: join(SHOTS, `tokenizers-${lang}.png`), fullPage: true });
    // The same sentence in Chinese costs more GPT-2 tokens than characters.
    await page.selectOption('#examples', 'chinese');
    await page.waitForFunction(() => document.querySelector('#tokenizers-text')?.textContent.includes('15'));
    const costs = await page.$$eval('#tokenizers-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const chineseGpt2 = cli('gpt2', '学生们用一场盛大的派对庆祝毕业').tokens.length;
    assert.equal(costs[4][1], String(chineseGpt2), 'B\'s GPT-2 tokens');
    assert.ok(chineseGpt2 > 15, `${chineseGpt2} tokens for 15 characters`);
    await page.screenshot({ path: join(SHOTS, `tokenizers-chinese-${lang}.png`), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  }
});
