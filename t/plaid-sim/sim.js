// A local stand-in for Plaid's sandbox, for the suites and the local stack
// (no network here). It follows Plaid's documented API (shared/REFERENCE.md
// § Plaid): the same paths, fields, cursors, errors and ES256-signed
// webhooks, for Canadian institutions. The gateway does not know it is not
// Plaid. Endpoints under /__sim/ are the tests' switches and its truth.
// It also plays the mail relay North's mail.send job posts to (/__mail/send,
// the mails read back through /__sim/mail), and an OpenAI-compatible
// chat-completions model for North AI (/__model/v1/chat/completions): it
// checks the request as such an API would (a model, messages, the
// north_query tool forced) and answers each question as a suite scripted
// it with /__sim/model {question, arguments | content | status, delay_ms}:
// a tool call with those arguments (an object, or raw text), a plain reply,
// an error status; after delay_ms. Unscripted questions get a plain reply
// with no tool call. /__sim/model_calls: what North sent.
//
//   node sim.js [port]          (NORTH_PLAID_SIM_PORT, default 8090)
'use strict';

const http = require('http');
const https = require('https');
const crypto = require('crypto');

const port = Number(process.argv[2] || process.env.NORTH_PLAID_SIM_PORT || 8090);
const CLIENT_ID = process.env.PLAID_CLIENT_ID || 'north-sim-client';
const SECRET = process.env.PLAID_SECRET || 'north-sim-secret';
const MAIL_KEY = process.env.MAIL_API_KEY || 'north-sim-mail-key';
const MODEL_KEY = process.env.AI_MODEL_KEY || 'north-sim-model-key';
const modelScripts = new Map();  // question -> how to answer
let modelCalls = [];

// --- state ------------------------------------------------------------------

const INSTITUTIONS = {
  ins_43: 'Tartan-Dominion Bank of Canada',
  ins_north_1: 'Maple Leaf Trust',
  ins_north_2: 'Banque Laurentienne du Nord',
  ins_north_3: 'Prairie Credit Union',
};

const MERCHANTS = [
  ['Loblaws', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', 4000, 18000],
  ['Metro', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', 2500, 12000],
  ['Sobeys', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', 3000, 15000],
  ['Tim Hortons', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_COFFEE', 250, 1400],
  ['Presto', 'TRANSPORTATION', 'TRANSPORTATION_PUBLIC_TRANSIT', 330, 16000],
  ['STM', 'TRANSPORTATION', 'TRANSPORTATION_PUBLIC_TRANSIT', 375, 9700],
  ['Petro-Canada', 'TRANSPORTATION', 'TRANSPORTATION_GAS', 3500, 9000],
  ['Hydro One', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_GAS_AND_ELECTRICITY', 6000, 21000],
  ['Rogers', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_TELEPHONE', 5500, 13000],
  ['Shoppers Drug Mart', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_PHARMACIES', 800, 7500],
  ['Canadian Tire', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE', 1500, 25000],
];

let seq = 0;
const id = (prefix) => `${prefix}${crypto.randomBytes(12).toString('hex')}`;
const publicTokens = new Map();  // public_token -> {institution_id, username, used}
const items = new Map();         // item_id -> item
const byToken = new Map();       // access_token -> item_id
const linkTokens = [];           // requests made, for the suites
const calls = [];                // every call: {path, traceparent, body}
const failures = [];             // injected: {path, status, error, times}
const mails = [];                // received as the mail relay
let latency = 0;
let keyWithoutAlg = false;       // the key endpoint leaves out "alg"
let initialTransactions = 120;

// one signing key at a time; old ones stay known with an expiry
const keys = [];
function newKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const key = { kid: id('kid-'), privateKey, jwk, created_at: Math.floor(Date.now() / 1000), expired_at: null };
  keys.push(key);
  return key;
}
newKey();

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

function day(offset) {
  const d = new Date(Date.now() - offset * 86400000);
  return d.toISOString().slice(0, 10);
}

function makeAccounts(item) {
  const a = (name, type, subtype, mask, current, available, limit, currency = 'CAD') => ({
    account_id: id('acc-'), persistent_account_id: id('pacc-'), name, official_name: `${INSTITUTIONS[item.institution_id]} ${name}`,
    type, subtype, mask, verification_status: null, holder_category: 'personal',
    balances: { available, current, limit, iso_currency_code: currency, unofficial_currency_code: null, last_updated_datetime: null },
  });
  return [
    a('Chequing', 'depository', 'checking', '0001', 2450.17, 2410.17, null),
    a('Savings', 'depository', 'savings', '0002', 12500.0, 12500.0, null),
    a('Visa Infinite', 'credit', 'credit card', '4242', 812.55, 9187.45, 10000),
    a('RRSP', 'investment', 'rrsp', '0003', 38210.4, null, null),
    a('TFSA', 'investment', 'tfsa', '0004', 21075.0, null, null),
    a('US Dollar Account', 'depository', 'checking', '0005', 1300.0, 1300.0, null, 'USD'),
  ];
}

function makeTransaction(item, r, i, pending) {
  const acct = item.accounts[i % 3 === 2 ? 2 : 0];
  const payroll = i % 14 === 0;
  const m = MERCHANTS[Math.floor(r() * MERCHANTS.length)];
  const cents = payroll ? -(250000 + Math.floor(r() * 50000)) : m[3] + Math.floor(r() * (m[4] - m[3]));
  const date = day(Math.floor(i / 3) % 700);
  return {
    transaction_id: id('txn-'), account_id: payroll ? item.accounts[0].account_id : acct.account_id,
    amount: cents / 100, iso_currency_code: 'CAD', unofficial_currency_code: null,
    date, authorized_date: date, datetime: null, authorized_datetime: null,
    name: payroll ? 'PAYROLL NORTHWIND CORP' : `${m[0].toUpperCase()} #${100 + Math.floor(r() * 900)}`,
    merchant_name: payroll ? 'Northwind Corp' : m[0], merchant_entity_id: null,
    pending: !!pending, pending_transaction_id: null, payment_channel: payroll ? 'other' : 'in store',
    personal_finance_category: payroll
      ? { primary: 'INCOME', detailed: 'INCOME_WAGES', confidence_level: 'VERY_HIGH', version: 'v2' }
      : { primary: m[1], detailed: m[2], confidence_level: 'HIGH', version: 'v2' },
    location: { city: 'Toronto', region: 'ON', country: 'CA', address: null, postal_code: null, lat: null, lon: null, store_number: null },
    counterparties: [], category: null, category_id: null, check_number: null, logo_url: null, website: null,
    transaction_code: null, transaction_type: 'place', original_description: null, account_owner: null,
  };
}

// The item's history is a log of events; a cursor is a position in it.
function record(item, kind, tx) {
  item.log.push({ seq: ++seq, kind, tx: JSON.parse(JSON.stringify(tx)) });
  if (kind === 'removed') item.truth.delete(tx.transaction_id);
  else item.truth.set(tx.transaction_id, JSON.parse(JSON.stringify(tx)));
}

function addTransactions(item, n, pending) {
  const r = rng(item.log.length + 7 + n);
  const out = [];
  for (let i = 0; i < n; i++) {
    const tx = makeTransaction(item, r, item.log.length + i, pending);
    record(item, 'added', tx);
    out.push(tx);
  }
  return out;
}

// --- Plaid's shapes ----------------------------------------------------------------

function plaidError(res, status, type, code, message, display) {
  reply(res, status, {
    error_type: type, error_code: code, error_code_reason: null, error_message: message,
    display_message: display || null, request_id: id('req-'), causes: [], status, documentation_url:
    `https://plaid.com/docs/errors/${type.toLowerCase()}/#${code.toLowerCase()}`, suggested_action: null,
  });
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function itemOf(body, res) {
  const itemId = byToken.get(body.access_token);
  const item = itemId && items.get(itemId);
  if (!item) {
    plaidError(res, 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN', 'provided access token is in an invalid format or does not exist');
    return null;
  }
  return item;
}

function loginRequired(item, res) {
  if (item.error) {
    plaidError(res, 400, 'ITEM_ERROR', 'ITEM_LOGIN_REQUIRED',
      "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state",
      'Your bank requires you to log in again.');
    return true;
  }
  return false;
}

function itemObject(item) {
  return {
    item_id: item.item_id, institution_id: item.institution_id, webhook: item.webhook,
    error: item.error, available_products: ['balance'], billed_products: ['transactions'],
    products: ['transactions'], consent_expiration_time: null, update_type: 'background',
  };
}

function sign(claims) {
  const key = keys[keys.length - 1];
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'ES256', kid: key.kid, typ: 'JWT' });
  const payload = enc(claims);
  const sig = crypto.sign('sha256', Buffer.from(`${head}.${payload}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${head}.${payload}.${sig.toString('base64url')}`;
}

function sendWebhook(item, body, tamper) {
  if (!item.webhook) return Promise.resolve({ status: 0 });
  const text = JSON.stringify(body);
  const claims = {
    iat: Math.floor(Date.now() / 1000) - (tamper.age || 0),
    request_body_sha256: crypto.createHash('sha256').update(tamper.hashOf || text).digest('hex'),
  };
  let jwt = sign(claims);
  if (tamper.kid) {
    const [h, p, s] = jwt.split('.');
    const head = JSON.parse(Buffer.from(h, 'base64url'));
    head.kid = tamper.kid;
    jwt = `${Buffer.from(JSON.stringify(head)).toString('base64url')}.${p}.${s}`;
  }
  if (tamper.badSignature) jwt = jwt.slice(0, -4) + (jwt.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  return new Promise((resolve) => {
    const u = new URL(item.webhook);
    // the local stack's certificate is its own: a fixture need not check it
    const req = (u.protocol === 'https:' ? https : http).request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', rejectUnauthorized: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Plaid-Verification': jwt } },
    (res) => { let b = ''; res.on('data', (d) => { b += d; }); res.on('end', () => resolve({ status: res.statusCode, body: b })); });
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    req.end(text);
  });
}

// --- endpoints -----------------------------------------------------------------------

const routes = {
  '/link/token/create': (b, res) => {
    for (const f of ['client_name', 'language', 'country_codes']) {
      if (b[f] === undefined) return plaidError(res, 400, 'INVALID_REQUEST', 'MISSING_FIELDS', `the following required fields are missing: ${f}`);
    }
    if (!b.user || !b.user.client_user_id) return plaidError(res, 400, 'INVALID_REQUEST', 'MISSING_FIELDS', 'the following required fields are missing: user.client_user_id');
    if (String(b.client_name).length > 30) return plaidError(res, 400, 'INVALID_REQUEST', 'INVALID_FIELD', 'client_name must be at most 30 characters');
    if (b.access_token && !byToken.has(b.access_token)) return plaidError(res, 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN', 'provided access token is in an invalid format or does not exist');
    linkTokens.push(b);
    const ttl = b.access_token ? 30 * 60 : 4 * 3600;
    reply(res, 200, { link_token: id('link-sandbox-'), expiration: new Date(Date.now() + ttl * 1000).toISOString(), request_id: id('req-') });
  },

  '/sandbox/public_token/create': (b, res) => {
    if (!INSTITUTIONS[b.institution_id]) return plaidError(res, 400, 'INVALID_INPUT', 'INVALID_INSTITUTION', 'invalid institution_id provided');
    const token = id('public-sandbox-');
    publicTokens.set(token, { institution_id: b.institution_id, webhook: (b.options || {}).webhook || null, used: false });
    reply(res, 200, { public_token: token, request_id: id('req-') });
  },

  '/item/public_token/exchange': (b, res) => {
    const pt = publicTokens.get(b.public_token);
    if (!pt || pt.used) return plaidError(res, 400, 'INVALID_INPUT', 'INVALID_PUBLIC_TOKEN', 'provided public token is in an invalid format or has expired');
    pt.used = true;
    const item = { item_id: id('item-'), institution_id: pt.institution_id, webhook: pt.webhook, error: null, log: [], truth: new Map(), removed: false };
    item.access_token = id('access-sandbox-');
    item.accounts = makeAccounts(item);
    addTransactions(item, initialTransactions, false);
    addTransactions(item, 3, true);
    items.set(item.item_id, item);
    byToken.set(item.access_token, item.item_id);
    reply(res, 200, { access_token: item.access_token, item_id: item.item_id, request_id: id('req-') });
  },

  '/accounts/get': (b, res) => {
    const item = itemOf(b, res);
    if (!item || loginRequired(item, res)) return;
    reply(res, 200, { accounts: item.accounts, item: itemObject(item), request_id: id('req-') });
  },

  '/accounts/balance/get': (b, res) => routes['/accounts/get'](b, res),

  '/transactions/sync': (b, res) => {
    const item = itemOf(b, res);
    if (!item || loginRequired(item, res)) return;
    const count = b.count === undefined ? 100 : b.count;
    if (!Number.isInteger(count) || count < 1 || count > 500) return plaidError(res, 400, 'INVALID_REQUEST', 'INVALID_FIELD', 'count must be between 1 and 500');
    let from = 0;
    if (b.cursor) {
      const n = Number(Buffer.from(String(b.cursor), 'base64').toString().replace(/^v1:/, ''));
      if (!Number.isInteger(n) || n < 0) return plaidError(res, 400, 'INVALID_REQUEST', 'INVALID_FIELD', 'cursor is not valid');
      from = n;
      // data changed after the loop's first page: Plaid says restart
      if (item.mutateNext && from > 0) {
        item.mutateNext = false;
        const some = [...item.truth.values()].find((t) => !t.pending);
        if (some) { some.amount = Math.round((some.amount + 1.11) * 100) / 100; record(item, 'modified', some); }
        return plaidError(res, 400, 'TRANSACTIONS_ERROR', 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION',
          'Underlying transaction data changed since last page was fetched. Please restart pagination from last update.');
      }
    }
    const after = item.log.filter((e) => e.seq > from);
    const page = after.slice(0, count);
    const last = page.length ? page[page.length - 1].seq : from;
    // net changes over the page, as Plaid gives them
    const net = new Map();
    for (const e of page) {
      const n = net.get(e.tx.transaction_id);
      if (n) { n.last = e.kind; n.tx = e.tx; } else net.set(e.tx.transaction_id, { first: e.kind, last: e.kind, tx: e.tx });
    }
    const added = [], modified = [], removed = [];
    for (const n of net.values()) {
      if (n.last === 'removed') { if (n.first !== 'added') removed.push({ transaction_id: n.tx.transaction_id, account_id: n.tx.account_id }); }
      else if (n.first === 'added') added.push(n.tx);
      else modified.push(n.tx);
    }
    item.synced = true;
    reply(res, 200, {
      accounts: item.accounts, added, modified, removed,
      next_cursor: Buffer.from(`v1:${last}`).toString('base64'), has_more: after.length > count,
      transactions_update_status: 'HISTORICAL_UPDATE_COMPLETE', request_id: id('req-'),
    });
  },

  '/item/remove': (b, res) => {
    const item = itemOf(b, res);
    if (!item) return;
    item.removed = true;
    items.delete(item.item_id);
    byToken.delete(b.access_token);
    reply(res, 200, { request_id: id('req-') });
  },

  '/webhook_verification_key/get': (b, res) => {
    const key = keys.find((k) => k.kid === b.key_id);
    if (!key) return plaidError(res, 400, 'INVALID_INPUT', 'INVALID_WEBHOOK_VERIFICATION_KEY_ID', 'invalid key_id provided');
    const body = { alg: 'ES256', crv: 'P-256', kid: key.kid, kty: 'EC', use: 'sig', x: key.jwk.x, y: key.jwk.y,
      created_at: key.created_at, expired_at: key.expired_at };
    if (keyWithoutAlg) delete body.alg;
    reply(res, 200, { key: body, request_id: id('req-') });
  },

  '/sandbox/item/fire_webhook': async (b, res) => {
    const item = itemOf(b, res);
    if (!item) return;
    const code = b.webhook_code || 'SYNC_UPDATES_AVAILABLE';
    const body = code === 'SYNC_UPDATES_AVAILABLE'
      ? { webhook_type: 'TRANSACTIONS', webhook_code: code, item_id: item.item_id, initial_update_complete: true, historical_update_complete: true, environment: 'sandbox' }
      : code === 'PENDING_DISCONNECT'
        ? { webhook_type: 'ITEM', webhook_code: code, item_id: item.item_id, reason: 'INSTITUTION_TOKEN_EXPIRATION', disconnect_time: new Date(Date.now() + 7 * 86400000).toISOString(), environment: 'sandbox' }
        : { webhook_type: 'ITEM', webhook_code: code, item_id: item.item_id, error: null, environment: 'sandbox' };
    if (code === 'LOGIN_REPAIRED') item.error = null;
    const r = await sendWebhook(item, body, b.tamper || {});
    reply(res, 200, { webhook_fired: true, request_id: id('req-'), delivery: r });
  },

  '/sandbox/item/reset_login': async (b, res) => {
    const item = itemOf(b, res);
    if (!item) return;
    item.error = { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: 'the login details of this item have changed', display_message: null };
    const r = await sendWebhook(item, { webhook_type: 'ITEM', webhook_code: 'ERROR', item_id: item.item_id, error: item.error, environment: 'sandbox' }, {});
    reply(res, 200, { reset_login: true, request_id: id('req-'), delivery: r });
  },

  // --- the mail relay (north_mail_url) ---
  '/__mail/send': (b, res) => {
    const f = failures.find((x) => x.path === '/__mail/send' && x.times > 0);
    if (f) {
      f.times--;
      return reply(res, f.status, { error: 'failing as asked' });
    }
    mails.push({ ...b, at: Date.now() });
    reply(res, 202, { id: id('mail-') });
  },

  // --- the model (north_ai_model_url) ---
  '/__model/v1/chat/completions': async (b, res) => {
    modelCalls.push(b);
    const user = Array.isArray(b.messages) && b.messages.find((m) => m.role === 'user');
    const tool = Array.isArray(b.tools) && b.tools.find((t) => t.type === 'function'
                                                       && t.function && t.function.name === 'north_query');
    if (typeof b.model !== 'string' || !user || typeof user.content !== 'string' || !tool
        || !tool.function.parameters || tool.function.parameters.type !== 'object') {
      return reply(res, 400, { error: { message: 'invalid request', type: 'invalid_request_error' } });
    }
    const sc = modelScripts.get(user.content) || { content: 'I cannot help with that.' };
    if (sc.delay_ms) await new Promise((r) => setTimeout(r, sc.delay_ms));
    if (sc.status) return reply(res, sc.status, { error: { message: 'failing as asked', type: 'server_error' } });
    const message = sc.arguments === undefined
      ? { role: 'assistant', content: sc.content }
      : { role: 'assistant', content: null, tool_calls: [{ id: id('call_'), type: 'function',
          function: { name: sc.name || 'north_query',
                      arguments: typeof sc.arguments === 'string' ? sc.arguments : JSON.stringify(sc.arguments) } }] };
    reply(res, 200, { id: id('chatcmpl-'), object: 'chat.completion', created: Math.floor(Date.now() / 1000),
      model: b.model, choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
  },
  '/__sim/model': (b, res) => {
    if (b.reset) { modelScripts.clear(); modelCalls = []; }
    if (b.question) modelScripts.set(b.question, b);
    reply(res, 200, { ok: true });
  },
  '/__sim/model_calls': (b, res) => reply(res, 200, { calls: modelCalls }),

  // --- the suites' switches and the truth ---
  '/__sim/mail': (b, res) => {
    reply(res, 200, { mails: mails.filter((m) => !b.to || m.to.toLowerCase() === b.to.toLowerCase()) });
  },
  '/__sim/config': (b, res) => {
    if (b.initial_transactions !== undefined) initialTransactions = b.initial_transactions;
    if (b.latency_ms !== undefined) latency = b.latency_ms;
    if (b.key_without_alg !== undefined) keyWithoutAlg = !!b.key_without_alg;
    if (b.rotate_key) { keys[keys.length - 1].expired_at = Math.floor(Date.now() / 1000); newKey(); }
    reply(res, 200, { ok: true });
  },
  '/__sim/fail': (b, res) => { failures.push({ times: 1, status: 400, ...b }); reply(res, 200, { ok: true }); },
  '/__sim/mutate_during_pagination': (b, res) => { const it = items.get(b.item_id); if (it) it.mutateNext = true; reply(res, it ? 200 : 404, { ok: !!it }); },
  // {count, pending}: generated ones; or {transactions: [{account (a subtype
  // or a name), amount (Plaid's sign: > 0 is money out), date, name,
  // merchant_name?, primary?, detailed?, pending?}]}: these, as given
  '/__sim/add_transactions': (b, res) => {
    const it = items.get(b.item_id);
    if (!it) return reply(res, 404, {});
    if (!b.transactions) {
      return reply(res, 200, { added: addTransactions(it, b.count || 1, !!b.pending).map((t) => t.transaction_id) });
    }
    const added = [];
    for (const g of b.transactions) {
      const acct = it.accounts.find((a) => a.subtype === g.account || a.name === g.account);
      if (!acct) return reply(res, 400, { error: `no account ${g.account}` });
      const tx = makeTransaction(it, rng(1), 1, !!g.pending);
      Object.assign(tx, {
        account_id: acct.account_id, amount: g.amount, date: g.date, authorized_date: g.date,
        name: g.name, merchant_name: g.merchant_name || null, payment_channel: 'other',
        personal_finance_category: g.primary
          ? { primary: g.primary, detailed: g.detailed || g.primary, confidence_level: 'HIGH', version: 'v2' } : null,
      });
      record(it, 'added', tx);
      added.push(tx.transaction_id);
    }
    reply(res, 200, { added });
  },
  // {item_id, days}: a household's history up to yesterday (UTC): pay every
  // second Friday, rent on the 1st, bills and subscriptions (one price
  // increase 95 days ago, one that ended 75 days ago, two at one merchant),
  // groceries every four days, a monthly TFSA transfer
  '/__sim/history': (b, res) => {
    const it = items.get(b.item_id);
    if (!it) return reply(res, 404, {});
    const bySub = (sub) => it.accounts.find((a) => a.subtype === sub);
    const r = rng(42);
    let n = 0;
    const add = (sub, amount, date, name, merchant, primary, detailed) => {
      const tx = makeTransaction(it, r, 1, false);
      Object.assign(tx, {
        account_id: bySub(sub).account_id, amount, date, authorized_date: date, name, merchant_name: merchant,
        payment_channel: 'other', personal_finance_category: { primary, detailed, confidence_level: 'HIGH', version: 'v2' },
      });
      record(it, 'added', tx);
      n++;
    };
    for (let i = b.days || 730; i >= 1; i--) {
      const d = new Date(Date.now() - i * 86400000);
      const date = d.toISOString().slice(0, 10);
      const dom = d.getUTCDate();
      const epochDay = Math.floor(d.getTime() / 86400000);
      if (d.getUTCDay() === 5 && Math.floor(epochDay / 7) % 2 === 0) {
        add('checking', -2500, date, 'PAYROLL NORTHWIND CORP', 'Northwind Corp', 'INCOME', 'INCOME_WAGES');
      }
      if (dom === 1) add('checking', 1800, date, 'MAPLE PROPERTY MGMT', 'Maple Property', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_RENT');
      if (dom === 12) add('credit card', i <= 95 ? 18.99 : 16.99, date, 'NETFLIX.COM', 'Netflix', 'ENTERTAINMENT', 'ENTERTAINMENT_TV_AND_MOVIES');
      if (dom === 8 && i > 75) add('credit card', 11.99, date, 'SPOTIFY P0123', 'Spotify', 'ENTERTAINMENT', 'ENTERTAINMENT_MUSIC_AND_AUDIO');
      if (dom === 20) add('checking', 85, date, 'ROGERS WIRELESS', 'Rogers', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_TELEPHONE');
      if (dom === 3) add('credit card', 2.99, date, 'APPLE.COM/BILL', 'Apple', 'GENERAL_SERVICES', 'GENERAL_SERVICES_OTHER_GENERAL_SERVICES');
      if (dom === 17) add('credit card', 13.99, date, 'APPLE.COM/BILL', 'Apple', 'GENERAL_SERVICES', 'GENERAL_SERVICES_OTHER_GENERAL_SERVICES');
      if (dom === 15) {
        add('checking', 500, date, 'TFSA CONTRIBUTION', null, 'TRANSFER_OUT', 'TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS');
        add('tfsa', -500, date, 'CONTRIBUTION', null, 'TRANSFER_IN', 'TRANSFER_IN_INVESTMENT_AND_RETIREMENT_FUNDS');
      }
      if (epochDay % 4 === 0) {
        add('credit card', Math.round(8000 + r() * 6000) / 100, date, 'LOBLAWS #1234', 'Loblaws', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES');
      }
    }
    reply(res, 200, { added: n });
  },
  '/__sim/post_pending': (b, res) => {
    const it = items.get(b.item_id);
    const pend = it && it.truth.get(b.transaction_id);
    if (!pend || !pend.pending) return reply(res, 404, {});
    const posted = { ...JSON.parse(JSON.stringify(pend)), transaction_id: id('txn-'), pending: false, pending_transaction_id: pend.transaction_id };
    record(it, 'removed', pend);
    record(it, 'added', posted);
    reply(res, 200, { transaction_id: posted.transaction_id });
  },
  '/__sim/modify': (b, res) => {
    const it = items.get(b.item_id);
    const tx = it && it.truth.get(b.transaction_id);
    if (!tx) return reply(res, 404, {});
    Object.assign(tx, b.changes || {});
    record(it, 'modified', tx);
    reply(res, 200, { ok: true });
  },
  '/__sim/remove': (b, res) => {
    const it = items.get(b.item_id);
    const tx = it && it.truth.get(b.transaction_id);
    if (!tx) return reply(res, 404, {});
    record(it, 'removed', tx);
    reply(res, 200, { ok: true });
  },
  '/__sim/state': (b, res) => {
    const it = items.get(b.item_id);
    reply(res, 200, {
      item: it ? { item_id: it.item_id, access_token: it.access_token, removed: it.removed, error: it.error,
        synced: !!it.synced, accounts: it.accounts, transactions: [...it.truth.values()] } : null,
      removed_items: calls.filter((c) => c.path === '/item/remove').length,
      key_fetches: calls.filter((c) => c.path === '/webhook_verification_key/get').length,
      link_tokens: linkTokens, calls: calls.slice(-50),
    });
  },
};

http.createServer((req, res) => {
  let raw = '';
  req.on('data', (d) => { raw += d; });
  req.on('end', async () => {
    const path = req.url.split('?')[0];
    const handler = routes[path];
    if (req.method !== 'POST' || !handler) return plaidError(res, 404, 'INVALID_REQUEST', 'NOT_FOUND', 'not found');
    let body;
    try { body = raw ? JSON.parse(raw) : {}; } catch (e) {
      return plaidError(res, 400, 'INVALID_REQUEST', 'INVALID_BODY', 'body could not be parsed as JSON');
    }
    if (path.startsWith('/__mail/')) {
      // the relay's own key, not Plaid's
      if (req.headers.authorization !== `Bearer ${MAIL_KEY}`) return reply(res, 401, { error: 'bad key' });
    } else if (path.startsWith('/__model/')) {
      if (req.headers.authorization !== `Bearer ${MODEL_KEY}`) {
        return reply(res, 401, { error: { message: 'invalid api key', type: 'invalid_request_error' } });
      }
    } else if (!path.startsWith('/__sim/')) {
      calls.push({ path, at: Date.now(), traceparent: req.headers.traceparent,
                   body: { ...body, secret: body.secret ? '***' : undefined } });
      const cid = body.client_id || req.headers['plaid-client-id'];
      const sec = body.secret || req.headers['plaid-secret'];
      if (cid !== CLIENT_ID || sec !== SECRET) {
        return plaidError(res, 400, 'INVALID_INPUT', 'INVALID_API_KEYS', 'invalid client_id or secret provided');
      }
      const f = failures.find((x) => x.path === path && x.times > 0 && (!x.item_id || byToken.get(body.access_token) === x.item_id));
      if (f) {
        f.times--;
        if (latency) await new Promise((r) => setTimeout(r, latency));
        return plaidError(res, f.status, f.error_type, f.error_code, f.error_message || f.error_code);
      }
      if (latency) await new Promise((r) => setTimeout(r, latency));
    }
    try { await handler(body, res); } catch (e) { plaidError(res, 500, 'API_ERROR', 'INTERNAL_SERVER_ERROR', String(e)); }
  });
}).listen(port, process.env.NORTH_SIM_HOST || '127.0.0.1', () => {
  process.stdout.write(`plaid simulator on ${process.env.NORTH_SIM_HOST || '127.0.0.1'}:${port}\n`);
});
