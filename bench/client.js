#!/usr/bin/env node
// Load client for what wrk cannot measure: SSE streams (time to first chunk, total time), many
// open streams at once, one very long stream, and the mixed soak. No dependencies.
//
//   node client.js stream --url U --concurrency C --warmup S --duration S [--chunks N --delay MS]
//       C loops, each sends one streaming request after the other. Requests started during the
//       warm-up are discarded. Prints one JSON line: count, errors, ttfc/total p50/p99 (ms).
//       ttfc = request written -> first body byte of the first "data:" event;
//       total = request written -> last body byte (end of response).
//   node client.js hold --url U --concurrency C [--chunks N --delay MS] [--hold-max S]
//       Opens C streams, prints "READY ok=<n> failed=<m>" once each one has its first event (or
//       failed), keeps them open until killed or --hold-max seconds.
//   node client.js single --url U --chunks N [--batch B --delay MS]
//       One stream; prints JSON: events, bytes, ms, complete.
//   node client.js soak --url U --concurrency C --duration S [--stream-frac F --fail-frac F
//       --reset-frac F --chunks N --delay MS]
//       Mixed JSON and streams; a fraction fail upstream with 500 (x-bench-fail) and a fraction of
//       streams are cut mid-way (reset-mid). Prints JSON counts: ok, expected failures, errors.
'use strict';

const http = require('http');

function parseArgs(argv) {
  const a = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) { a[argv[i].slice(2)] = argv[i + 1]; i++; } else a._.push(argv[i]);
  }
  return a;
}
const args = parseArgs(process.argv.slice(2));
const mode = args._[0];
const url = new URL(args.url || 'http://127.0.0.1:18000/v1/chat/completions');
const num = (k, d) => (args[k] !== undefined ? Number(args[k]) : d);

const STREAM_BODY = JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true },
  messages: [{ role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Tell me a short story about a fox.' }] });
const JSON_BODY = JSON.stringify({ model: 'gpt-4o-mini',
  messages: [{ role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Tell me a short story about a fox.' }] });

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

// One request. Resolves { status, ttfc, total, bytes, events, complete, error }.
function request(agent, body, headers, timeoutMs) {
  return new Promise((resolve) => {
    const r = { status: 0, ttfc: -1, total: -1, bytes: 0, events: 0, complete: false, error: null, text: '' };
    let settled = false;
    const settle = () => { if (!settled) { settled = true; resolve(r); } };
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search,
      method: 'POST', agent, headers: Object.assign({ 'content-type': 'application/json',
        'content-length': Buffer.byteLength(body), accept: 'application/json, text/event-stream' }, headers) });
    let t0 = 0; let partial = '';
    req.on('response', (res) => {
      r.status = res.statusCode;
      const sse = (res.headers['content-type'] || '').startsWith('text/event-stream');
      res.on('data', (buf) => {
        r.bytes += buf.length;
        if (!sse) { if (r.text.length < 65536) r.text += buf.toString(); return; }
        const lines = (partial + buf.toString('latin1')).split('\n');
        partial = lines.pop(); // incomplete last line, finished by a later read
        if (r.ttfc < 0 && (partial.startsWith('data:') || lines.some((l) => l.startsWith('data:')))) r.ttfc = now() - t0;
        for (const l of lines) {
          if (!l.startsWith('data:')) continue;
          r.events++;
          if (l.startsWith('data: [DONE]')) r.sawDone = true;
        }
      });
      res.on('end', () => {
        r.total = now() - t0;
        r.complete = sse ? !!r.sawDone : r.text.includes('"usage"');
        settle();
      });
      res.on('error', (e) => { r.error = e.code || e.message; settle(); });
      res.on('close', () => { if (!settled) { r.error = r.error || 'closed_early'; settle(); } });
    });
    req.on('error', (e) => { r.error = e.code || e.message; settle(); });
    if (timeoutMs) req.setTimeout(timeoutMs, () => { r.error = 'timeout'; req.destroy(); });
    t0 = now();
    req.end(body);
  });
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

function streamHeaders() {
  const h = {};
  if (args.chunks) h['x-bench-chunks'] = String(args.chunks);
  if (args.delay) h['x-bench-delay-ms'] = String(args.delay);
  if (args.batch) h['x-bench-batch'] = String(args.batch);
  return h;
}

async function modeStream() {
  const c = num('concurrency', 32); const warm = num('warmup', 10) * 1000; const dur = num('duration', 15) * 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  const start = now(); const measureFrom = start + warm; const end = measureFrom + dur;
  const ttfc = []; const total = []; let errors = 0; let count = 0; const errKinds = {};
  const headers = streamHeaders();
  const loop = async () => {
    while (now() < end) {
      const t = now();
      const r = await request(agent, STREAM_BODY, headers, 60000);
      if (t < measureFrom || now() > end) continue;
      count++;
      if (r.error || r.status !== 200 || !r.complete || r.ttfc < 0) {
        errors++; const k = r.error || (r.status !== 200 ? 'status_' + r.status : 'incomplete');
        errKinds[k] = (errKinds[k] || 0) + 1; continue;
      }
      ttfc.push(r.ttfc); total.push(r.total);
    }
  };
  await Promise.all(Array.from({ length: c }, loop));
  ttfc.sort((a, b) => a - b); total.sort((a, b) => a - b);
  console.log(JSON.stringify({ mode: 'stream', concurrency: c, seconds: dur / 1000, count, errors, errKinds,
    streams_per_s: Math.round((count / (dur / 1000)) * 10) / 10,
    ttfc_p50: pct(ttfc, 50), ttfc_p99: pct(ttfc, 99), total_p50: pct(total, 50), total_p99: pct(total, 99) }));
  agent.destroy();
}

async function modeHold() {
  const c = num('concurrency', 1000); const holdMax = num('hold-max', 120) * 1000;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const headers = streamHeaders();
  let ok = 0; let failed = 0; const reqs = [];
  const firsts = [];
  for (let i = 0; i < c; i++) {
    firsts.push(new Promise((resolve) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
        headers: Object.assign({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(STREAM_BODY) },
          headers) });
      reqs.push(req);
      req.on('response', (res) => {
        let seen = false;
        res.on('data', (b) => { if (!seen && b.toString('latin1').includes('data:')) { seen = true; ok++; resolve(); } });
        res.on('end', () => { if (!seen) { failed++; resolve(); } });
        res.on('error', () => { if (!seen) { failed++; resolve(); } });
      });
      req.on('error', () => { failed++; resolve(); });
      req.end(STREAM_BODY);
    }));
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5)); // small ramp, no SYN flood
  }
  await Promise.all(firsts);
  console.log(`READY ok=${ok} failed=${failed}`);
  const stop = () => { for (const r of reqs) r.destroy(); process.exit(0); };
  setTimeout(stop, holdMax);
  process.on('SIGTERM', stop); process.on('SIGINT', stop);
}

async function modeSingle() {
  const agent = new http.Agent({ keepAlive: false });
  const t = now();
  const r = await request(agent, STREAM_BODY, streamHeaders(), 600000);
  console.log(JSON.stringify({ mode: 'single', status: r.status, events: r.events, bytes: r.bytes,
    ms: Math.round(now() - t), complete: r.complete, error: r.error }));
}

async function modeSoak() {
  const c = num('concurrency', 64); const dur = num('duration', 180) * 1000;
  const streamFrac = num('stream-frac', 0.5); const failFrac = num('fail-frac', 0.05); const resetFrac = num('reset-frac', 0.02);
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  const end = now() + dur;
  const s = { json_ok: 0, stream_ok: 0, expected_500: 0, expected_reset: 0, errors: 0, errKinds: {}, total: [] };
  const bad = (k) => { s.errors++; s.errKinds[k] = (s.errKinds[k] || 0) + 1; };
  const base = streamHeaders();
  const loop = async () => {
    while (now() < end) {
      const isStream = Math.random() < streamFrac; const x = Math.random();
      const kind = x < failFrac ? '500' : (isStream && x < failFrac + resetFrac ? 'reset' : 'ok');
      const h = Object.assign({}, isStream ? base : {});
      if (kind === '500') h['x-bench-fail'] = '500';
      if (kind === 'reset') h['x-bench-fail'] = 'reset-mid';
      const r = await request(agent, isStream ? STREAM_BODY : JSON_BODY, h, 30000);
      if (kind === '500') { if (r.status === 500 && !r.error) s.expected_500++; else bad('want500_got_' + (r.error || r.status)); continue; }
      if (kind === 'reset') { if (!r.complete) s.expected_reset++; else bad('reset_not_propagated'); continue; }
      if (r.error) { bad(r.error); continue; }
      if (r.status !== 200) { bad('status_' + r.status); continue; }
      if (!r.complete) { bad('incomplete'); continue; }
      s.total.push(r.total);
      if (isStream) s.stream_ok++; else s.json_ok++;
    }
  };
  await Promise.all(Array.from({ length: c }, loop));
  s.total.sort((a, b) => a - b);
  const out = Object.assign({}, s, { total: undefined, total_p50: pct(s.total, 50), total_p99: pct(s.total, 99) });
  console.log(JSON.stringify(out));
  agent.destroy();
}

const modes = { stream: modeStream, hold: modeHold, single: modeSingle, soak: modeSoak };
if (!modes[mode]) { console.error('usage: node client.js stream|hold|single|soak --url URL ...'); process.exit(2); }
modes[mode]().catch((e) => { console.error(e); process.exit(1); });
