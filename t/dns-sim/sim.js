// A DNS server the suites control, and TCP forwarders standing for the
// addresses a data store's host name may point at: t/dns.t moves a name
// from one forwarder to another and closes the first, as a fail-over does.
//   node sim.js DNS_PORT CONTROL_PORT
// DNS (UDP, 127.0.0.1:DNS_PORT): A records of the names set, TTL 1 s; no
// AAAA; NXDOMAIN for any other name. Control (HTTP, 127.0.0.1:CONTROL_PORT):
//   POST /dns {name, ip}                      the name's address from now on
//   POST /forward {host, port, to}            listen on host:port, pipe each
//        connection to `to`: a Unix socket's path, or "host:port"
//   POST /forward/close {host, port}          stop listening, drop every link
//   GET  /forwards                            [{host, port, accepted, open}]
'use strict';
const dgram = require('dgram');
const http = require('http');
const net = require('net');

const [dnsPort, controlPort] = process.argv.slice(2).map(Number);
const names = new Map();
const forwards = new Map();

function qname(buf, off) {
  const labels = [];
  for (;;) {
    const len = buf[off];
    if (len === undefined) throw new Error('short');
    off += 1;
    if (len === 0) break;
    labels.push(buf.toString('ascii', off, off + len));
    off += len;
  }
  return [labels.join('.').toLowerCase(), off];
}

const udp = dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => {
  let name, end;
  try { [name, end] = qname(msg, 12); } catch (e) { return; }
  const qtype = msg.readUInt16BE(end);
  const question = msg.subarray(12, end + 4);
  const ip = names.get(name);
  const answer = (ip && qtype === 1) ? Buffer.concat([
    Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4]),
    Buffer.from(ip.split('.').map(Number)),
  ]) : Buffer.alloc(0);
  const head = Buffer.alloc(12);
  msg.copy(head, 0, 0, 2);                          // the id
  head.writeUInt16BE(0x8180 | (ip ? 0 : 3), 2);     // response, RD RA, rcode
  head.writeUInt16BE(1, 4);                         // one question
  head.writeUInt16BE(answer.length ? 1 : 0, 6);     // answers
  udp.send(Buffer.concat([head, question, answer]), rinfo.port, rinfo.address);
});

function forward(host, port, to) {
  const f = { host, port, accepted: 0, sockets: new Set() };
  f.server = net.createServer((client) => {
    f.accepted += 1;
    const m = /^([^/][^:]*):(\d+)$/.exec(to);
    const upstream = m ? net.connect(Number(m[2]), m[1]) : net.connect(to);
    f.sockets.add(client);
    f.sockets.add(upstream);
    const drop = () => { client.destroy(); upstream.destroy();
                         f.sockets.delete(client); f.sockets.delete(upstream); };
    client.on('error', drop); upstream.on('error', drop);
    client.on('close', drop); upstream.on('close', drop);
    client.pipe(upstream); upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    f.server.once('error', reject);
    f.server.listen(port, host, () => { forwards.set(`${host}:${port}`, f); resolve(); });
  });
}

function body(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => { try { resolve(JSON.parse(data || '{}')); } catch (e) { resolve({}); } });
  });
}

http.createServer(async (req, res) => {
  const send = (code, obj) => { res.writeHead(code, { 'Content-Type': 'application/json' });
                                res.end(JSON.stringify(obj)); };
  const b = await body(req);
  try {
    if (req.method === 'POST' && req.url === '/dns') {
      names.set(String(b.name).toLowerCase(), b.ip);
      return send(200, { ok: true });
    }
    if (req.method === 'POST' && req.url === '/forward') {
      await forward(b.host, b.port, b.to);
      return send(200, { ok: true });
    }
    if (req.method === 'POST' && req.url === '/forward/close') {
      const f = forwards.get(`${b.host}:${b.port}`);
      if (!f) return send(404, { error: 'no such forward' });
      f.server.close();
      for (const s of f.sockets) s.destroy();
      forwards.delete(`${b.host}:${b.port}`);
      return send(200, { ok: true });
    }
    if (req.method === 'GET' && req.url === '/forwards') {
      return send(200, [...forwards.values()].map((f) => ({
        host: f.host, port: f.port, accepted: f.accepted, open: f.sockets.size / 2 })));
    }
    return send(404, { error: 'no such route' });
  } catch (e) {
    return send(500, { error: String(e) });
  }
}).listen(controlPort, '127.0.0.1', () => {
  udp.bind(dnsPort, '127.0.0.1', () => {
    process.stdout.write(`dns simulator on 127.0.0.1:${dnsPort}, control on ${controlPort}\n`);
  });
});
