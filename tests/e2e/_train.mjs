import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
const server = await serve('/work/main/dist');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
page.on('console', m => console.log('console:', m.type(), m.text()));
page.on('pageerror', e => console.log('pageerror:', e.message));
await page.goto(server.url + '?view=train');
await page.waitForSelector('body[data-model-ready="1"][data-state="ready"]', { timeout: 60000 });
if (process.env.OWN) {
  await page.check('#train-source-own');
  await page.fill('#train-text', process.env.OWN);
}
const t0 = Date.now();
await page.click('#train-go');
for (let i = 0; i < (+process.env.SECS || 30); i += 5) {
  await page.waitForTimeout(5000);
  console.log(((Date.now()-t0)/1000).toFixed(0)+'s', await page.textContent('#train-status'));
  console.log('  sample:', await page.textContent('#train-samples li:first-child'));
}
await page.screenshot({ path: '/work/main/target/shots/train.png', fullPage: true });
await browser.close(); await server.close();
