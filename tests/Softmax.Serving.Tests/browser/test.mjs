// Browser test of the `softmax serve` page: Debian's chromium, headless, driven by playwright-core.
// Usage: node test.mjs URL [SCREENSHOT.png]; env ROW (a comma-separated feature row) and EXPECTED (its label).
// Exit code 0 when every check passed; 1 with the reason on stderr otherwise.
import { chromium } from 'playwright-core';

const [url, screenshot = 'page.png'] = process.argv.slice(2);
if (!url) { console.error('usage: node test.mjs URL [SCREENSHOT.png]'); process.exit(2); }
const origin = new URL(url).origin;

function check(condition, message) { if (!condition) throw new Error(message); }

async function bars(page) {
  return page.$$eval('#bars .bar', els => els.map(e => ({
    name: e.dataset.class, p: Number(e.dataset.probability), width: parseFloat(e.querySelector('.fill').style.width),
    top: e.classList.contains('top'),
  })));
}

// Bars must be one per class, sum to 1, be as wide as their probability, mark the arg-max, and equal what the API
// says for the very row the page sent.
async function checkBars(page, classes, what) {
  const b = await bars(page);
  check(b.length === classes.length, `${what}: ${b.length} bars for ${classes.length} classes`);
  check(b.every((x, i) => x.name === classes[i]), `${what}: bars are not in class order`);
  const sum = b.reduce((s, x) => s + x.p, 0);
  check(Math.abs(sum - 1) < 1e-4, `${what}: probabilities sum to ${sum}`);
  check(b.every(x => Math.abs(x.width - 100 * x.p) < 0.01), `${what}: a bar's width does not match its probability`);
  const best = b.reduce((i, x, j) => (x.p > b[i].p ? j : i), 0);
  check(b[best].top && b.filter(x => x.top).length === 1, `${what}: the most probable bar is not the highlighted one`);
  const api = await page.evaluate(async () => {
    const r = await fetch('/v1/predict', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ instances: [window.softmaxPage.lastRow] }) });
    return r.json();
  });
  check(api.probabilities[0].every((p, i) => p === b[i].p), `${what}: the bars differ from /v1/predict for the same row`);
  return { label: b[best].name, p: b[best].p };
}

async function waitForPrediction(page, count) {
  await page.waitForFunction(n => window.softmaxPage.predictions >= n, count, { timeout: 10000 });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems = [], external = [];
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  page.on('console', m => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  await page.route('**/*', route => {
    if (new URL(route.request().url()).origin !== origin) { external.push(route.request().url()); return route.abort(); }
    return route.continue();
  });

  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10000 });
  const model = await page.evaluate(() => window.softmaxPage.model);
  const info = await page.textContent('#info');
  check(info.includes(`${model.class_count}: `) && info.includes(model.preprocessing.kind), `model info is missing: ${info}`);
  check(await page.locator('#weights figure canvas').count() === model.class_count, 'one weight picture per class expected');
  check(await page.locator('#weights .colour-bar canvas').count() === 1, 'one colour bar under the weight pictures expected');
  let predictions = 0;

  // 1. A pasted row with a known label.
  if (process.env.ROW) {
    await page.click('#paste-box summary');
    await page.fill('#row', process.env.ROW);
    await page.click('#predict-row');
    await waitForPrediction(page, ++predictions);
    const r = await checkBars(page, model.classes, 'pasted row');
    check(!process.env.EXPECTED || r.label === process.env.EXPECTED, `pasted row: predicted ${r.label}, expected ${process.env.EXPECTED}`);
    console.log(`pasted row -> ${r.label} (${r.p.toFixed(3)})`);
  }

  // 2. An uploaded picture: a dark "7" on white paper, made by the browser itself.
  const png = await page.evaluate(() => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, 64, 64);
    g.strokeStyle = '#000'; g.lineWidth = 7; g.lineCap = 'round';
    g.beginPath(); g.moveTo(14, 12); g.lineTo(50, 12); g.lineTo(26, 56); g.stroke();
    return c.toDataURL('image/png').split(',')[1];
  });
  await page.setInputFiles('#upload', { name: 'seven.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  await waitForPrediction(page, ++predictions);
  const upload = await checkBars(page, model.classes, 'upload');
  const uploadedRow = await page.evaluate(() => window.softmaxPage.lastRow);
  check(uploadedRow.length === model.features && Math.max(...uploadedRow) > 0.5 * model.input_range.max,
    'upload: the light background should have been inverted into bright ink');
  console.log(`uploaded seven.png -> ${upload.label} (${upload.p.toFixed(3)})`);

  // 3. Drawing: clear, then draw a "0" as an ellipse with the mouse.
  await page.click('#clear');
  const box = await page.locator('#pad').boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy - box.height * 0.33);
  await page.mouse.down();
  for (let i = 0; i <= 48; i++) {
    const a = (i / 48) * 2 * Math.PI;
    await page.mouse.move(cx + Math.sin(a) * box.width * 0.22, cy - Math.cos(a) * box.height * 0.33);
  }
  await page.mouse.up();
  await waitForPrediction(page, ++predictions);
  const drawn = await checkBars(page, model.classes, 'drawing');
  const drawnRow = await page.evaluate(() => window.softmaxPage.lastRow);
  check(drawnRow.every(v => v >= 0 && v <= model.input_range.max), 'drawing: the row left the model\'s input range');
  console.log(`drawn ellipse -> ${drawn.label} (${drawn.p.toFixed(3)})`);
  check(!process.env.EXPECTED_DRAWN || drawn.label === process.env.EXPECTED_DRAWN,
    `drawing: predicted ${drawn.label}, expected ${process.env.EXPECTED_DRAWN}`);

  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
  check(external.length === 0, `the page asked for outside resources: ${external.join(', ')}`);
  check(problems.length === 0, problems.join('\n'));
  console.log('browser test passed');
} catch (e) {
  failed = true;
  console.error(`browser test FAILED: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
