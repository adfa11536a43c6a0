#!/usr/bin/env node
// Fast fake OpenAI upstream for the benchmark. No dependencies: Node's http module, keep-alive.
//
//   POST /v1/chat/completions     JSON answer with usage, or with "stream": true an SSE stream
//   POST /v1/traces|metrics|logs  OTLP/HTTP sink (answers 200, counts) so the gateway can export spans
//   GET  /_stats                  counters: open sockets, streams in flight, requests served
//
// Stream shape, per request header (or env default):
//   x-bench-chunks    number of content chunks                  (env STREAM_CHUNKS, default 20)
//   x-bench-delay-ms  pause between ticks, ms                   (env STREAM_DELAY_MS, default 20)
//   x-bench-batch     content chunks written per tick           (env STREAM_BATCH, default 1)
// The first chunk goes out with the headers; a usage chunk follows the last content chunk when
// stream_options.include_usage is true; then "data: [DONE]".
//
// Failures on demand, header x-bench-fail:
//   <status>     e.g. 500, 429, 503: an OpenAI-style error body with that status (before any chunk)
//   reset-mid    stream only: the socket is destroyed after half of the chunks
'use strict';

const http = require('http');

const PORT = parseInt(process.env.PORT || '18000', 10);
const HOST = process.env.HOST || '127.0.0.1';
const DEF_CHUNKS = parseInt(process.env.STREAM_CHUNKS || '20', 10);
const DEF_DELAY = parseInt(process.env.STREAM_DELAY_MS || '20', 10);
const DEF_BATCH = parseInt(process.env.STREAM_BATCH || '1', 10);

const stats = { requests: 0, json: 0, streams: 0, streamsInFlight: 0, streamsAborted: 0,
  failures: 0, otlp: 0, openSockets: 0 };

const WORDS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.'];
const ANSWER = 'The quick brown fox jumps over the lazy dog. It was a calm afternoon and the'
  + ' fox had nowhere else to be, so it jumped again.';
let seq = 0;

function intHeader(req, name, dflt) {
  const v = req.headers[name];
  if (v === undefined) return dflt;
  const n = parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : dflt;
}

function sendJson(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function errorBody(status) {
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message: `Simulated upstream error ${status}`, type, param: null, code: type } };
}

function completion(model, id, created) {
  return {
    id, object: 'chat.completion', created, model,
    choices: [{ index: 0, message: { role: 'assistant', content: ANSWER, refusal: null },
      logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 19, completion_tokens: 31, total_tokens: 50,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0,
        accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } },
    service_tier: 'default', system_fingerprint: 'fp_bench',
  };
}

function chunkLine(id, created, model, delta, finish, withUsage) {
  const o = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
  if (withUsage) o.usage = null;
  return 'data: ' + JSON.stringify(o) + '\n\n';
}

function stream(req, res, body, fail) {
  const chunks = Math.max(1, intHeader(req, 'x-bench-chunks', DEF_CHUNKS));
  const delay = intHeader(req, 'x-bench-delay-ms', DEF_DELAY);
  const batch = Math.max(1, intHeader(req, 'x-bench-batch', DEF_BATCH));
  const withUsage = !!(body.stream_options && body.stream_options.include_usage);
  const model = body.model || 'gpt-4o-mini';
  const id = 'chatcmpl-bench' + (++seq);
  const created = Math.floor(Date.now() / 1000);
  const resetAt = fail === 'reset-mid' ? Math.floor(chunks / 2) : -1;

  stats.streams++; stats.streamsInFlight++;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache',
    'x-accel-buffering': 'no' });

  let sent = 0; let timer = null; let done = false;
  const finish = (aborted) => {
    if (done) return;
    done = true; stats.streamsInFlight--;
    if (aborted) stats.streamsAborted++;
    if (timer) clearTimeout(timer);
  };
  res.on('close', () => finish(!res.writableFinished));

  // One tick writes `batch` chunks; if the socket pushes back, the rest of the batch follows on
  // 'drain' (no extra delay), so a long stream takes about chunks / batch * delay ms.
  let inTick = 0;
  const tick = () => {
    timer = null;
    if (done) return;
    while (inTick < batch && sent < chunks) {
      if (sent === resetAt) { finish(true); res.socket && res.socket.destroy(); return; }
      const delta = sent === 0 ? { role: 'assistant', content: '', refusal: null }
        : { content: WORDS[sent % WORDS.length] };
      const last = sent === chunks - 1;
      const ok = res.write(chunkLine(id, created, model, delta, last ? 'stop' : null, withUsage));
      sent++; inTick++;
      if (!ok && sent < chunks) { res.once('drain', tick); return; }
    }
    inTick = 0;
    if (sent < chunks) { schedule(); return; }
    if (withUsage) {
      const u = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_bench',
        choices: [], usage: { prompt_tokens: 19, completion_tokens: chunks, total_tokens: 19 + chunks,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0,
            accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } } };
      res.write('data: ' + JSON.stringify(u) + '\n\n');
    }
    res.end('data: [DONE]\n\n');
    finish(false);
  };
  const schedule = () => { if (!done) timer = setTimeout(tick, delay); };
  tick();
}

function handle(req, res, raw) {
  stats.requests++;
  if (req.method === 'GET' && req.url.startsWith('/_stats')) return sendJson(res, 200, stats);
  if (req.method === 'POST' && /^\/v1\/(traces|metrics|logs)/.test(req.url)) {
    stats.otlp++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    return res.end();
  }
  if (req.method !== 'POST' || !req.url.startsWith('/v1/chat/completions')) {
    return sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
  }
  let body;
  try { body = raw.length ? JSON.parse(raw) : {}; } catch (e) {
    return sendJson(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error' } });
  }
  const fail = req.headers['x-bench-fail'];
  if (fail && /^\d{3}$/.test(fail)) {
    stats.failures++;
    return sendJson(res, parseInt(fail, 10), errorBody(parseInt(fail, 10)));
  }
  if (body.stream === true) return stream(req, res, body, fail);
  stats.json++;
  sendJson(res, 200, completion(body.model || 'gpt-4o-mini', 'chatcmpl-bench' + (++seq),
    Math.floor(Date.now() / 1000)));
}

const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => handle(req, res, parts.length === 1 ? parts[0].toString() : Buffer.concat(parts).toString()));
});
server.keepAliveTimeout = 120000;   // longer than any proxy's idle pool timeout
server.headersTimeout = 121000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.on('connection', (s) => { stats.openSockets++; s.on('close', () => stats.openSockets--); });
server.listen(PORT, HOST, () => console.log(`upstream listening on http://${HOST}:${PORT}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
