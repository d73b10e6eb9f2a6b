// A local stand-in for Firebase Cloud Messaging (HTTP v1) and Google's
// OAuth2 token endpoint, over HTTP/2 on TLS (ALPN h2, a test CA's
// certificate), as the push sender speaks to the real ones. It checks what North sends
// as Google would, records it for the suites, and answers with FCM's real
// error bodies for tokens named to fail:
//
//   unregistered-*   404 UNREGISTERED
//   invalid-*        400 INVALID_ARGUMENT, "not a valid FCM registration token"
//   mismatch-*       403 SENDER_ID_MISMATCH
//   payload-*        400 INVALID_ARGUMENT of a payload (the token is good)
//   quota-*          429 QUOTA_EXCEEDED, Retry-After: 120
//   unavailable-*    503 UNAVAILABLE, Retry-After: 30
//   flaky-N-*        the stream reset unanswered the first N times, as a
//                    connection lost mid-send; 200 after
//
// Usage: node sim.js PORT SERVICE_ACCOUNT.json CERT.pem KEY.pem. The public
// key that checks the RS256 assertions is the service account's own.
//
//   GET  /__sim/messages[?token=T]   what was accepted (and refused), in order
//   GET  /__sim/stats                sessions (HTTP/2 connections opened since
//                                    the reset), last_session (the id of the
//                                    latest, as messages name it), streams
//   POST /__sim/reset                forgets messages, tokens and counters
//   POST /__sim/config {token_ttl, delay_ms}
//                                    the access tokens' life, in seconds;
//                                    how long messages wait for their answer
//                                    (recorded when they arrive)

'use strict';

const http2 = require('http2');
const crypto = require('crypto');
const fs = require('fs');

const port = Number(process.argv[2] || 8092);
const account = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const publicKey = crypto.createPublicKey(account.private_key);
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

let messages = [];
let tokens = new Map();          // access token -> expiry (ms)
let stats = { sessions: 0, streams: 0, tokens_issued: 0, assertions_refused: 0 };
let tokenTtl = 3599;
let delayMs = 0;
let flaky = new Map();           // token -> streams of it reset so far

function send(res, status, body, headers) {
    res.writeHead(status, Object.assign({ 'content-type': 'application/json' },
                                        headers || {}));
    res.end(JSON.stringify(body));
}

function fcmError(res, status, code, canonical, message, headers) {
    const error = { code: status, message, status: canonical };
    if (code) {
        error.details = [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError',
                           errorCode: code }];
    }
    send(res, status, { error }, headers);
}

function b64json(part) {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// The assertion as Google's token endpoint checks it; the reason it fails.
function assertionFault(jwt) {
    const parts = (jwt || '').split('.');
    if (parts.length !== 3) return 'not a JWS';
    let header, claims;
    try { header = b64json(parts[0]); claims = b64json(parts[1]); }
    catch (e) { return 'not JSON'; }
    if (header.alg !== 'RS256' || header.typ !== 'JWT') return 'not RS256';
    const ok = crypto.verify('RSA-SHA256', Buffer.from(parts[0] + '.' + parts[1]),
                             publicKey, Buffer.from(parts[2], 'base64url'));
    if (!ok) return 'bad signature';
    const now = Date.now() / 1000;
    if (claims.iss !== account.client_email) return 'wrong iss';
    if (claims.aud !== account.token_uri) return 'wrong aud';
    if (!String(claims.scope || '').split(' ').includes(SCOPE)) return 'wrong scope';
    if (!(claims.exp > now && claims.exp - claims.iat <= 3600)) return 'bad exp';
    if (Math.abs(claims.iat - now) > 300) return 'bad iat';
    return null;
}

function token(req, res, body) {
    const form = new URLSearchParams(body);
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded'
        || form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        return send(res, 400, { error: 'unsupported_grant_type' });
    }
    const fault = assertionFault(form.get('assertion'));
    if (fault) {
        stats.assertions_refused++;
        return send(res, 400, { error: 'invalid_grant', error_description: fault });
    }
    const access = 'ya29.sim-' + crypto.randomBytes(24).toString('hex');
    tokens.set(access, Date.now() + tokenTtl * 1000);
    stats.tokens_issued++;
    send(res, 200, { access_token: access, expires_in: tokenTtl, token_type: 'Bearer' });
}

// What FCM refuses in a message before looking at its token.
function messageFault(m) {
    if (!m || typeof m !== 'object') return 'message is missing';
    const targets = ['token', 'topic', 'condition'].filter((k) => k in m);
    if (targets.length !== 1) return 'exactly one target is needed';
    for (const [k, v] of Object.entries(m.data || {})) {
        if (typeof v !== 'string') return `Invalid value at 'message.data[${k}].value' (TYPE_STRING)`;
    }
    const payload = Buffer.byteLength(JSON.stringify([m.notification || {}, m.data || {}]));
    if (payload > 4096) return 'Message payload exceeds 4096 bytes';
    return null;
}

function messagesSend(req, res, body, project) {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    const expiry = auth && tokens.get(auth[1]);
    if (!expiry || expiry < Date.now() || project !== account.project_id) {
        return fcmError(res, 401, null, 'UNAUTHENTICATED',
                        'Request had invalid authentication credentials.');
    }
    let m;
    try { m = JSON.parse(body).message; } catch (e) { m = null; }
    const fault = messageFault(m);
    const record = { token: m && m.token, message: m, at: new Date().toISOString(),
                     session: req.simSession, traceparent: req.headers.traceparent,
                     status: 200 };
    messages.push(record);
    if (fault) {
        record.status = 400;
        return fcmError(res, 400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', fault);
    }
    const t = String(m.token || '');
    const resets = /^flaky-(\d+)-/.exec(t);
    if (resets && (flaky.get(t) || 0) < Number(resets[1])) {
        flaky.set(t, (flaky.get(t) || 0) + 1);
        record.status = 0;
        return req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
    const fail = [
        ['unregistered-', 404, 'UNREGISTERED', 'NOT_FOUND', 'Requested entity was not found.'],
        ['invalid-', 400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT',
         'The registration token is not a valid FCM registration token'],
        ['mismatch-', 403, 'SENDER_ID_MISMATCH', 'PERMISSION_DENIED', 'SenderId mismatch'],
        ['payload-', 400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT',
         "Invalid JSON payload received. Unknown name \"colour\" at 'message.android'"],
        ['quota-', 429, 'QUOTA_EXCEEDED', 'RESOURCE_EXHAUSTED', 'Quota exceeded.', { 'retry-after': '120' }],
        ['unavailable-', 503, 'UNAVAILABLE', 'UNAVAILABLE', 'The service is unavailable.', { 'retry-after': '30' }],
    ].find(([prefix]) => t.startsWith(prefix));
    if (fail) {
        record.status = fail[1];
        return fcmError(res, fail[1], fail[2], fail[3], fail[4], fail[5]);
    }
    const id = crypto.randomBytes(8).toString('hex');
    record.name = `projects/${project}/messages/${id}`;
    send(res, 200, { name: record.name });
}

const server = http2.createSecureServer({
    cert: fs.readFileSync(process.argv[4]), key: fs.readFileSync(process.argv[5]),
    allowHTTP1: false,
    // a batch's hundreds of streams at once: Node's 10 MB default makes it
    // refuse streams, and the client open connections to retry them
    maxSessionMemory: 256,
});
let sessionIds = 0;

server.on('session', (session) => {
    session.simId = ++sessionIds;
    stats.sessions++;
    session.on('error', (e) => console.log(`session ${session.simId}: ${e.message}`));
    session.on('frameError', (type, code) => console.log(`session ${session.simId}: frame error ${type} ${code}`));
});
server.on('sessionError', (e) => console.log(`session error: ${e.message}`));
server.on('tlsClientError', (e) => console.log(`TLS: ${e.message}`));

server.on('stream', () => { stats.streams++; });

server.on('request', (req, res) => {
    // the session's id now: a stream the client resets loses its session
    req.simSession = req.stream.session ? req.stream.session.simId : null;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url, 'http://sim');
        const send_ = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url.pathname);
        if (req.method === 'POST' && url.pathname === '/token') return token(req, res, body);
        if (req.method === 'POST' && send_) {
            // the answer waits; what arrived is recorded at once
            const held = delayMs ? Object.assign(Object.create(res), {
                writeHead: (...a) => setTimeout(() => res.writeHead(...a), delayMs),
                end: (...a) => setTimeout(() => res.end(...a), delayMs),
            }) : res;
            return messagesSend(req, held, body, send_[1]);
        }
        if (req.method === 'GET' && url.pathname === '/__sim/messages') {
            const t = url.searchParams.get('token');
            return send(res, 200, messages.filter((m) => !t || m.token === t));
        }
        if (req.method === 'GET' && url.pathname === '/__sim/stats') {
            return send(res, 200, Object.assign({ open: sessionsOpen(),
                                                  last_session: sessionIds }, stats));
        }
        if (req.method === 'POST' && url.pathname === '/__sim/reset') {
            messages = [];
            tokens = new Map();
            stats = { sessions: 0, streams: 0, tokens_issued: 0, assertions_refused: 0 };
            tokenTtl = 3599;
            delayMs = 0;
            flaky = new Map();
            return send(res, 200, {});
        }
        if (req.method === 'POST' && url.pathname === '/__sim/config') {
            const c = JSON.parse(body || '{}');
            if (c.token_ttl) tokenTtl = c.token_ttl;
            if (c.delay_ms !== undefined) delayMs = c.delay_ms;
            return send(res, 200, { token_ttl: tokenTtl, delay_ms: delayMs });
        }
        send(res, 404, { error: { code: 404, message: 'no such endpoint', status: 'NOT_FOUND' } });
    });
});

let open = 0;
server.on('session', (s) => { open++; s.on('close', () => { open--; }); });
function sessionsOpen() { return open; }

server.listen(port, '127.0.0.1', () => {
    console.log(`fcm simulator on 127.0.0.1:${port} (HTTP/2 over TLS)`);
});
