// The page of `softmax serve`: model info, weights as pictures, a drawing box, an upload, a pasted row, and the
// class probabilities as bars. Plain JS, no dependencies; everything comes from this server's /v1 endpoints.
'use strict';

const $ = id => document.getElementById(id);
const state = { model: null, lastRow: null, lastResponse: null, predictions: 0 };
window.softmaxPage = state;   // for the browser test and for curious people

async function getJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function showInfo(m) {
  const t = m.training;
  const rows = [
    ['classes', `${m.class_count}: ${m.classes.slice(0, 12).join(', ')}${m.class_count > 12 ? ', …' : ''}`],
    ['features', m.features],
    ['image', m.image ? `${m.image.height} × ${m.image.width} × ${m.image.channels}` : 'none'],
    ['input range', `${m.input_range.min} … ${m.input_range.max}`],
    ['preprocessing', `${m.preprocessing.kind} (scale ${+m.preprocessing.scale.toPrecision(4)})`],
    ['solver', `${t.solver}, λ2 = ${t.l2}, λ1 = ${t.l1}`],
    ['trained on', `${t.rows} rows, ${t.iterations} iterations (${t.stop_reason})`],
    ['model version', `${m.version}, ${m.source}`],
  ];
  const dl = $('info');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    dl.append(dt, dd);
  }
}

// --- drawing box -------------------------------------------------------------------------------------------
const pad = $('pad');
const ctx = pad.getContext('2d', { willReadFrequently: true });
let drawing = false, last = null;

function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function stroke(e) {
  const r = pad.getBoundingClientRect();
  const p = { x: (e.clientX - r.left) * pad.width / r.width, y: (e.clientY - r.top) * pad.height / r.height };
  ctx.strokeStyle = '#fff';
  ctx.lineCap = ctx.lineJoin = 'round';
  ctx.lineWidth = pad.width / 11;
  ctx.beginPath();
  ctx.moveTo((last || p).x, (last || p).y);
  ctx.lineTo(p.x, p.y);
  ctx.stroke();
  last = p;
}

pad.addEventListener('pointerdown', e => { drawing = true; last = null; pad.setPointerCapture(e.pointerId); stroke(e); });
pad.addEventListener('pointermove', e => { if (drawing) stroke(e); });
pad.addEventListener('pointerup', () => { drawing = false; last = null; predictPad(); });
$('clear').addEventListener('click', () => { clearPad(); $('bars').replaceChildren(); $('verdict').textContent = ''; });
$('predict').addEventListener('click', () => predictPad());

// Like the datasets were made: crop the ink to its bounding box, scale it (aspect kept) to fill the frame — all of
// it for 8 × 8 images (the UCI digits fill their 32 × 32 box), 20/28 of it otherwise (MNIST's 20 × 20 in 28 × 28) —
// centre it, then area-average down to the model's image (H × W × channels) in the model's raw range.
function normalizedPixels() {
  const m = state.model, im = m.image;
  const src = ctx.getImageData(0, 0, pad.width, pad.height);
  let x0 = pad.width, y0 = pad.height, x1 = -1, y1 = -1;
  for (let y = 0; y < pad.height; y++)
    for (let x = 0; x < pad.width; x++) {
      const i = (y * pad.width + x) * 4;
      if (src.data[i] + src.data[i + 1] + src.data[i + 2] > 60) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  if (x1 < 0) return src.data;   // nothing drawn
  const fill = im.height <= 8 ? 1 : 20 / 28;
  const w = x1 - x0 + 1, h = y1 - y0 + 1, s = fill * Math.min(pad.width / w, pad.height / h);
  const off = document.createElement('canvas');
  off.width = pad.width; off.height = pad.height;
  const o = off.getContext('2d', { willReadFrequently: true });
  o.fillStyle = '#000';
  o.fillRect(0, 0, off.width, off.height);
  o.imageSmoothingQuality = 'high';
  o.drawImage(pad, x0, y0, w, h, (pad.width - w * s) / 2, (pad.height - h * s) / 2, w * s, h * s);
  return o.getImageData(0, 0, off.width, off.height).data;
}

function padToRow() {
  const m = state.model, im = m.image;
  const src = normalizedPixels();
  const row = new Array(m.features).fill(0);
  const max = m.input_range.max;
  for (let y = 0; y < im.height; y++) {
    const y0 = Math.floor(y * pad.height / im.height), y1 = Math.floor((y + 1) * pad.height / im.height);
    for (let x = 0; x < im.width; x++) {
      const x0 = Math.floor(x * pad.width / im.width), x1 = Math.floor((x + 1) * pad.width / im.width);
      for (let ch = 0; ch < im.channels; ch++) {
        let sum = 0;
        for (let yy = y0; yy < y1; yy++)
          for (let xx = x0; xx < x1; xx++) {
            const i = (yy * pad.width + xx) * 4;
            sum += im.channels === 1 ? (src[i] + src[i + 1] + src[i + 2]) / 3 : src[i + Math.min(ch, 2)];
          }
        const v = sum / ((y1 - y0) * (x1 - x0)) / 255 * max;
        const index = im.channel_planar ? ch * im.height * im.width + y * im.width + x : (y * im.width + x) * im.channels + ch;
        row[index] = Math.round(v * 1000) / 1000;
      }
    }
  }
  return row;
}

function showPreview(row) {
  const im = state.model.image, max = state.model.input_range.max;
  const off = document.createElement('canvas');
  off.width = im.width; off.height = im.height;
  const o = off.getContext('2d');
  const img = o.createImageData(im.width, im.height);
  for (let y = 0; y < im.height; y++)
    for (let x = 0; x < im.width; x++)
      for (let c = 0; c < 3; c++) {
        const ch = Math.min(c, im.channels - 1);
        const index = im.channel_planar ? ch * im.height * im.width + y * im.width + x : (y * im.width + x) * im.channels + ch;
        img.data[(y * im.width + x) * 4 + c] = Math.max(0, Math.min(255, row[index] / max * 255));
        img.data[(y * im.width + x) * 4 + 3] = 255;
      }
  o.putImageData(img, 0, 0);
  const p = $('preview').getContext('2d');
  p.imageSmoothingEnabled = false;
  p.drawImage(off, 0, 0, $('preview').width, $('preview').height);
  $('preview-caption').textContent = `What the model sees (${im.height} × ${im.width}, 0 … ${max})`;
}

async function predictPad() {
  if (!state.model || !state.model.image) return;
  const row = padToRow();
  showPreview(row);
  await predict(row);
}

// An uploaded picture is fitted into the box; a light background (a photo of ink on paper) is inverted so ink is bright.
$('upload').addEventListener('change', async e => {
  const file = e.target.files[0];
  if (!file) return;
  const bitmap = await createImageBitmap(file).catch(() => null);
  if (!bitmap) { $('error').textContent = 'That file is not an image this browser can read.'; return; }
  clearPad();
  const s = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
  ctx.drawImage(bitmap, (pad.width - bitmap.width * s) / 2, (pad.height - bitmap.height * s) / 2, bitmap.width * s, bitmap.height * s);
  const data = ctx.getImageData(0, 0, pad.width, pad.height);
  let mean = 0;
  for (let i = 0; i < data.data.length; i += 4) mean += (data.data[i] + data.data[i + 1] + data.data[i + 2]) / 3;
  if (mean / (data.data.length / 4) > 127 && state.model.image.channels === 1) {
    for (let i = 0; i < data.data.length; i += 4) for (let c = 0; c < 3; c++) data.data[i + c] = 255 - data.data[i + c];
    ctx.putImageData(data, 0, 0);
  }
  e.target.value = '';
  predictPad();
});

// --- pasted row ----------------------------------------------------------------------------------------------
$('predict-row').addEventListener('click', () => {
  const text = $('row').value.trim();
  const parts = text.split(/[\s,;]+/).filter(s => s.length > 0);
  const row = parts.map(Number);
  const bad = parts.findIndex(s => !Number.isFinite(Number(s)));
  if (bad >= 0) { $('error').textContent = `Value ${bad + 1} ('${parts[bad]}') is not a number.`; return; }
  if (state.model.image && row.length === state.model.features) showPreview(row);
  predict(row);
});

// --- prediction and bars ---------------------------------------------------------------------------------------
async function predict(row) {
  $('error').textContent = '';
  state.lastRow = row;
  try {
    const r = await getJson('/v1/predict?top_k=3', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ instances: [row] }),
    });
    state.lastResponse = r;
    state.predictions++;
    showBars(r);
  } catch (err) {
    $('error').textContent = err.message;
  }
}

function showBars(r) {
  const classes = state.model.classes, p = r.probabilities[0], best = r.classes[0];
  const bars = $('bars');
  bars.replaceChildren();
  classes.forEach((name, c) => {
    const bar = document.createElement('div');
    bar.className = 'bar' + (c === best ? ' top' : '');
    bar.dataset.class = name;
    bar.dataset.probability = String(p[c]);
    const label = document.createElement('span'); label.className = 'name'; label.textContent = name;
    const track = document.createElement('div'); track.className = 'track';
    const fill = document.createElement('div'); fill.className = 'fill'; fill.style.width = `${(p[c] * 100).toFixed(2)}%`;
    track.append(fill);
    const value = document.createElement('span'); value.className = 'value'; value.textContent = `${(p[c] * 100).toFixed(1)} %`;
    bar.append(label, track, value);
    bars.append(bar);
  });
  $('verdict').textContent = `→ ${r.labels[0]}`;
}

// --- weights as pictures ---------------------------------------------------------------------------------------
async function showWeights(m) {
  const w = await getJson('/v1/model/weights');
  const im = m.image, box = $('weights');
  box.replaceChildren();
  // One scale for every class (the largest |w|), so tiles compare; the same map as the CLI's weights.png and the
  // report: white at 0, pure red at +scale, pure blue at −scale (RGB images: grey at 0, each channel ±).
  const scale = Math.max(1e-12, ...w.weights.map(row => Math.max(...row.map(Math.abs))));
  w.weights.forEach((row, c) => {
    const canvas = document.createElement('canvas');
    canvas.width = im.width; canvas.height = im.height;
    const g = canvas.getContext('2d');
    const img = g.createImageData(im.width, im.height);
    for (let y = 0; y < im.height; y++)
      for (let x = 0; x < im.width; x++) {
        const o = (y * im.width + x) * 4;
        if (im.channels === 1) {
          const v = row[y * im.width + x] / scale;   // red positive, blue negative
          img.data[o] = 255 - Math.max(0, -v) * 255;
          img.data[o + 1] = 255 - Math.abs(v) * 255;
          img.data[o + 2] = 255 - Math.max(0, v) * 255;
        } else {
          for (let ch = 0; ch < 3; ch++) {
            const index = im.channel_planar ? ch * im.height * im.width + y * im.width + x : (y * im.width + x) * im.channels + ch;
            img.data[o + ch] = 127.5 + 127.5 * row[index] / scale;
          }
        }
        img.data[o + 3] = 255;
      }
    g.putImageData(img, 0, 0);
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = w.classes[c];
    figure.append(canvas, caption);
    box.append(figure);
  });
  box.append(colourBar(scale, im.channels === 1));
  $('weights-section').hidden = false;
}

// The colour bar under the weight tiles: −scale … 0 … +scale.
function colourBar(scale, diverging) {
  const canvas = document.createElement('canvas');
  canvas.width = 256; canvas.height = 12;
  canvas.className = 'colour-bar';
  const g = canvas.getContext('2d');
  for (let i = 0; i < 256; i++) {
    const v = (i - 127.5) / 127.5;
    g.fillStyle = diverging
      ? `rgb(${255 - Math.max(0, -v) * 255},${255 - Math.abs(v) * 255},${255 - Math.max(0, v) * 255})`
      : `rgb(${127.5 + 127.5 * v},${127.5 + 127.5 * v},${127.5 + 127.5 * v})`;
    g.fillRect(i, 0, 1, 12);
  }
  const bar = document.createElement('div');
  bar.className = 'colour-bar';
  const caption = document.createElement('span');
  caption.textContent = `${(-scale).toPrecision(3)}   0   +${scale.toPrecision(3)}`;
  bar.append(canvas, caption);
  return bar;
}

async function start() {
  try {
    const m = await getJson('/v1/model');
    state.model = m;
    showInfo(m);
    if (m.image && m.image.height * m.image.width * m.image.channels === m.features) {
      $('draw-area').hidden = false;
      clearPad();
      await showWeights(m);
    } else {
      $('paste-box').open = true;
    }
    $('status').textContent = `model v${m.version}: ${m.class_count} classes, ${m.features} features`;
    document.body.dataset.ready = 'true';
  } catch (err) {
    $('status').textContent = 'could not load the model';
    $('error').textContent = err.message;
  }
}

start();
