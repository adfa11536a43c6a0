#!/usr/bin/env node
// Sets two collapsed-stack profiles side by side by each sample's innermost Java frame, in
// microseconds per call:
//   node profile-diff.js A.collapsed cpuUsPerCallA B.collapsed cpuUsPerCallB [rows]
// A frame is named by the first three parts of its class name: a package (io/netty/channel), or
// for classes right in java.lang or java.util the class itself (java/lang/String). A profile's
// samples are scaled so that they add up to the CPU per call measured outside the profiler: an
// itimer profile gives shares, not times. Samples with no Java frame (GC, the JIT compiler, the
// kernel) are named by what their frames say.
'use strict';
const fs = require('fs');

function bucket(frames) {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    // a Java frame reads package/Class.method; native ones are bare symbols or /path/lib.so
    if (f.includes('/') && !f.startsWith('/') && !f.startsWith('[')) {
      return f.split('.')[0].split('/').slice(0, 3).join('/');
    }
  }
  const all = frames.join(';');
  if (/GC|DefNew|Tenured|SerialHeap|G1|Parallel/.test(all)) return '(GC)';
  if (/Compile/.test(all)) return '(JIT compiler)';
  return '(native) ' + frames[frames.length - 1].slice(0, 40);
}

function profile(file, cpuPerCall) {
  const counts = new Map();
  let total = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const at = line.lastIndexOf(' ');
    if (at < 0) continue;
    const n = Number(line.slice(at + 1));
    const key = bucket(line.slice(0, at).split(';'));
    counts.set(key, (counts.get(key) || 0) + n);
    total += n;
  }
  if (total === 0) throw new Error(`${file}: no samples`);
  const perCall = new Map();
  for (const [k, n] of counts) perCall.set(k, (n / total) * cpuPerCall);
  return perCall;
}

const [fa, ua, fb, ub, rows] = process.argv.slice(2);
if (!ub) {
  console.error('usage: profile-diff.js A.collapsed cpuUsPerCallA B.collapsed cpuUsPerCallB [rows]');
  process.exit(2);
}
const a = profile(fa, Number(ua));
const b = profile(fb, Number(ub));
const keys = [...new Set([...a.keys(), ...b.keys()])]
  .map(k => [k, a.get(k) || 0, b.get(k) || 0])
  .sort((x, y) => (y[1] - y[2]) - (x[1] - x[2]));
const show = Number(rows || 25);
const fmt = v => ' ' + v.toFixed(1).padStart(7);
console.log(`${'innermost Java frame'.padEnd(48)}${'A us'.padStart(8)}${'B us'.padStart(8)}${'A-B'.padStart(8)}`);
for (const [k, x, y] of keys.slice(0, show)) console.log(`${k.slice(0, 47).padEnd(48)}${fmt(x)}${fmt(y)}${fmt(x - y)}`);
const rest = keys.slice(show);
const sum = (i) => rest.reduce((s, r) => s + r[i], 0);
console.log(`${`(${rest.length} more)`.padEnd(48)}${fmt(sum(1))}${fmt(sum(2))}${fmt(sum(1) - sum(2))}`);
console.log(`${'total'.padEnd(48)}${fmt(Number(ua))}${fmt(Number(ub))}${fmt(Number(ua) - Number(ub))}`);
