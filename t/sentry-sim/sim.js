// A Sentry-compatible receiver for t/sentry.t: POST /api/PROJECT/envelope/
// with the DSN's key in X-Sentry-Auth. It checks each envelope as Sentry's
// ingestion would (a header line naming the event and the DSN, an item
// header of type "event" whose length is the payload's, an event with the
// fields Sentry needs) and records what it took, or why it refused.
//   GET  /__sim/events    {events: [...], refused: [...]}
//   POST /__sim/reset     forget them
//   POST /__sim/mode      {status, delay_ms}: answer so from now on
// Usage: node sim.js PORT KEY
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const key = process.argv[3];
let events = [], refused = [], mode = { status: 200, delay_ms: 0 };

function check(req, raw) {
  const m = /^\/api\/(\d+)\/envelope\/$/.exec(req.url);
  if (!m) return 'not an envelope endpoint';
  const auth = req.headers['x-sentry-auth'] || '';
  if (!/^Sentry /.test(auth) || !auth.includes(`sentry_key=${key}`) || !auth.includes('sentry_version=7')) {
    return 'bad X-Sentry-Auth: ' + auth;
  }
  if (req.headers['content-type'] !== 'application/x-sentry-envelope') return 'bad content type';
  const nl = raw.indexOf('\n');
  const head = JSON.parse(raw.slice(0, nl));
  const rest = raw.slice(nl + 1);
  const nl2 = rest.indexOf('\n');
  const item = JSON.parse(rest.slice(0, nl2));
  if (item.type !== 'event') return 'item is not an event';
  const payload = Buffer.from(rest.slice(nl2 + 1), 'utf8');
  if (typeof item.length === 'number' && payload.slice(0, item.length).length !== item.length) {
    return 'length does not match';
  }
  const ev = JSON.parse(payload.slice(0, item.length).toString('utf8'));
  if (!/^[0-9a-f]{32}$/.test(ev.event_id) || ev.event_id !== head.event_id) return 'event_id';
  if (!head.dsn || !head.dsn.includes(`${key}@`) || !head.dsn.endsWith(`/${m[1]}`)) return 'dsn';
  for (const f of ['timestamp', 'level', 'platform', 'release', 'environment', 'server_name']) {
    if (typeof ev[f] !== 'string' || ev[f] === '') return `missing ${f}`;
  }
  if (!ev.message || typeof ev.message.formatted !== 'string') return 'no message';
  ev.project = m[1];
  return ev;
}

http.createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { raw += d; });
  req.on('end', () => {
    const reply = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/__sim/events') return reply(200, { events, refused });
    if (req.url === '/__sim/reset') { events = []; refused = []; return reply(200, {}); }
    if (req.url === '/__sim/mode') { mode = JSON.parse(raw || '{}'); return reply(200, mode); }
    let ev;
    try { ev = check(req, raw); } catch (e) { ev = 'unparsable: ' + e.message; }
    setTimeout(() => {
      if (typeof ev === 'string') { refused.push(ev); return reply(400, { detail: ev }); }
      if (mode.status !== 200) return reply(mode.status, { detail: 'as told' });
      events.push(ev);
      reply(200, { id: ev.event_id });
    }, mode.delay_ms || 0);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write(`sentry receiver on ${port}\n`));
