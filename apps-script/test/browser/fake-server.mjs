// A stateful fake of the add-on's server functions (apps-script/CONTRACT.md, the ones the sidebar
// calls with google.script.run), the page served from src/, and the page-side stub of
// google.script.run that forwards each call to the fake over HTTP. The state lives here, in Node,
// so tests assert on what the page really sent.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { renderTemplate } from './render.mjs';

export const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The server functions of the contract: the stub defines exactly these. */
export const FUNCTIONS = [
  'getSettings', 'saveSettings', 'checkConnection', 'startJob', 'jobStatus', 'cancelJob',
  'openReport', 'currentJob',
];

export const CATALOG = {
  ok: true,
  companyName: 'Flowers & Co',
  requestsLeft: 98765,
  channels: [
    { id: 11, name: 'Sales', transports: ['whatsapp', 'telegram'] },
    { id: 12, name: 'Support', transports: ['telegram', 'viber', 'email'] },
  ],
  transports: ['whatsapp', 'telegram', 'viber', 'email', 'sms'],
  tags: [
    { id: 1, label: 'webinar', group_name: 'Marketing' },
    { id: 2, label: 'spring-sale', group_name: 'Marketing' },
    { id: 3, label: 'vip', group_name: 'Clients' },
    { id: 4, label: 'newsletter', group_name: null },
  ],
};

// As real accounts are (shared/specs/chat2desk.md, "What real accounts show…"): transports named
// after their providers, two channels that take e-mail, and no word on the requests left.
export const REAL_CATALOG = {
  ok: true,
  companyName: 'Flowers & Co',
  requestsLeft: null,
  channels: [
    { id: 11, name: 'Sales', transports: ['wa_dialog', 'tg_user'] },
    { id: 12, name: 'Support', transports: ['tg_user', 'vkontakte', 'email'] },
    { id: 13, name: 'Newsletters', transports: ['email'] },
  ],
  transports: ['wa_dialog', 'tg_user', 'vkontakte', 'email', 'sms', 'insta_direct'],
  tags: CATALOG.tags,
};

// An Omnidesk account's checkConnection answer: data fields of several types, few requests a minute.
export const OMNIDESK_CATALOG = {
  ok: true,
  target: 'omnidesk',
  accountUrl: 'https://flowers.omnidesk.ru',
  users: 15230,
  ratePerMinute: 5,
  fields: [
    { id: 1, title: 'Tags', type: 'text' },
    { id: 2, title: 'Plan', type: 'select' },
    { id: 5, title: 'Notes', type: 'textarea' },
  ],
};

// An Intercom workspace's checkConnection answer: two custom attributes, tags, its rate.
export const INTERCOM_CATALOG = {
  ok: true,
  target: 'intercom',
  host: 'api.eu.intercom.io',
  attributes: [{ name: 'job_title', type: 'string' }, { name: 'telegram_id', type: 'string' }],
  tags: ['vip', 'webinar', 'spring-sale'],
  ratePerMinute: 10000,
};

export const ESTIMATE = { requests: 125000, freeLeft: 98765, paid: 26235, costRub: 262.35 };
// The account did not say how many free requests are left, and the load is over 1,000 requests.
export const UNKNOWN_ESTIMATE = { requests: 4200, freeLeft: null, paid: null, costRub: null };
export const REPORT = {
  ok: true,
  sheetName: 'Report 22.11 10:15',
  url: 'https://docs.google.com/spreadsheets/d/sheet-1/edit#gid=777',
};

const zeroCounts = () => ({
  created: 0, updated: 0, unchanged: 0, merged: 0, invalid: 0, skipped: 0, failed: 0, pending: 0, ready: 0,
});

/**
 * The fake backend. Options:
 * - lang: 'en' | 'ru'; token: a saved token (none when absent); apiKey: a saved Omnidesk API
 *   key (none when absent); intercomToken: a saved Intercom token (none when absent); saved:
 *   other saved settings (target, omnideskUrl, staffEmail, intercomRegion, …);
 * - estimateFirst: startJob(mode, false) gives a job whose status carries an estimate (`estimate`,
 *   ESTIMATE unless given); catalog: what checkConnection answers (CATALOG unless given);
 * - total / perPoll: contacts in a job and how many each jobStatus call advances;
 * - plannedRequests / plannedSeconds: what a running job says its load needs and takes;
 * - backgroundPolls: whether the hourly trigger polls the job (true unless false);
 * - omnideskCatalog: what checkConnection answers for Omnidesk (OMNIDESK_CATALOG unless given);
 * - intercomCatalog: what checkConnection answers for Intercom (INTERCOM_CATALOG unless given);
 * - liveJob: { mode } — currentJob() returns a running job made at start;
 * - answers: { name: value } — a fixed answer (e.g. {ok: false, error}), 'throw' for a failed call,
 *   or { throw: message } for a call that fails with Google's own message (PERMISSION_DENIED…).
 */
export function createBackend(options = {}) {
  const total = options.total ?? 100;
  const perPoll = options.perPoll ?? 20;
  const state = {
    token: options.token ?? null,
    apiKey: options.apiKey ?? null,
    intercomToken: options.intercomToken ?? null,
    settings: {
      target: 'chat2desk', channel: null, transport: null, emailChannel: null, tags: [], region: 'RU',
      omnideskUrl: null, staffEmail: null, tagsField: null, plays: null, intercomRegion: 'US', createAttributes: false, unarchive: false,
      ...options.saved,
    },
    lang: options.lang ?? 'en',
    calls: [],
    jobs: new Map(),
    current: null,
    answers: { ...options.answers },
  };
  let nextId = 1;

  const masked = (secret) => (secret ? `••••${secret.slice(-4)}` : '');
  const settings = () => ({
    ok: true,
    ...structuredClone(state.settings),
    tokenSet: Boolean(state.token),
    tokenMasked: masked(state.token),
    apiKeySet: Boolean(state.apiKey),
    apiKeyMasked: masked(state.apiKey),
    intercomTokenSet: Boolean(state.intercomToken),
    intercomTokenMasked: masked(state.intercomToken),
    lang: state.lang,
  });

  function newJob(mode, allowPaid, running = false) {
    const job = {
      id: `job-${nextId++}`,
      mode,
      target: state.settings.target,
      allowPaid,
      refused: Boolean(options.estimateFirst) && !allowPaid,
      polls: running ? 2 : 0,
      cancel: false,
      state: running ? 'running' : 'queued',
      done: running ? perPoll : 0,
    };
    state.jobs.set(job.id, job);
    state.current = { jobId: job.id, mode };
    return job;
  }
  if (options.liveJob) newJob(options.liveJob.mode ?? 'load', false, true);

  // Counts grow with the contacts done: 60 % created, 20 % updated, 10 % merged, 5 % invalid,
  // 3 % failed, the rest unchanged.
  function status(job) {
    if (job.refused) {
      return {
        ok: true, jobId: job.id, mode: job.mode, target: job.target, state: 'failed', rows: null, contactsDone: 0,
        contactsTotal: 0, requests: 0, etaSeconds: null, plannedRequests: null, plannedSeconds: null, counts: zeroCounts(),
        error: 'paid requests were not allowed', estimate: { ...(options.estimate ?? ESTIMATE) },
      };
    }
    const done = job.done;
    const counts = zeroCounts();
    if (job.mode === 'check') {
      counts.merged = Math.floor(done * 0.1);
      counts.invalid = Math.floor(done * 0.05);
      counts.skipped = Math.floor(done * 0.02);
      counts.ready = done - counts.merged - counts.invalid - counts.skipped;
    } else {
      counts.created = Math.floor(done * 0.6);
      counts.updated = Math.floor(done * 0.2);
      counts.merged = Math.floor(done * 0.1);
      counts.invalid = Math.floor(done * 0.05);
      counts.failed = Math.floor(done * 0.03);
      counts.unchanged = done - counts.created - counts.updated - counts.merged - counts.invalid - counts.failed;
      counts.pending = total - done;
    }
    const live = job.state === 'queued' || job.state === 'running';
    return {
      ok: true, jobId: job.id, mode: job.mode, target: job.target, state: job.state,
      rows: job.state === 'queued' ? null : total,
      contactsDone: done,
      contactsTotal: job.state === 'queued' ? 0 : total,
      requests: job.mode === 'check' ? 0 : Math.round(done * 2.4),
      etaSeconds: live && job.state === 'running' ? Math.ceil((total - done) / perPoll) * 2 : null,
      plannedRequests: job.state === 'queued' ? null : options.plannedRequests ?? Math.round(total * 2.4),
      plannedSeconds: job.state === 'queued' ? null : options.plannedSeconds ?? null,
      counts,
      error: null,
      estimate: null,
      backgroundPolls: options.backgroundPolls ?? true,
    };
  }

  function advance(job) {
    job.polls += 1;
    if (job.refused || !['queued', 'running'].includes(job.state)) return;
    if (job.cancel) { job.state = 'cancelled'; return; }
    if (job.polls === 1) return; // the first look finds it queued
    job.state = 'running';
    job.done = Math.min(total, job.done + perPoll);
    if (job.done >= total) job.state = 'done';
  }

  const handlers = {
    getSettings: () => settings(),
    saveSettings(input = {}) {
      if (typeof input.token === 'string' && input.token.trim() !== '') state.token = input.token.trim();
      if (typeof input.apiKey === 'string' && input.apiKey.trim() !== '') state.apiKey = input.apiKey.trim();
      if (typeof input.intercomToken === 'string' && input.intercomToken.trim() !== '') state.intercomToken = input.intercomToken.trim();
      for (const key of Object.keys(state.settings)) {
        if (key in input) state.settings[key] = input[key];
      }
      return settings();
    },
    checkConnection(input = {}) {
      if ((input.target ?? state.settings.target) === 'intercom') {
        const token = input.intercomToken || state.intercomToken;
        if (!token) return { ok: false, error: 'No Intercom token yet.' };
        if (token === 'wrong') return { ok: false, error: 'Intercom did not accept the access token.' };
        const host = { US: 'api.intercom.io', EU: 'api.eu.intercom.io', AU: 'api.au.intercom.io' }[input.intercomRegion ?? state.settings.intercomRegion];
        return { ...structuredClone(options.intercomCatalog ?? INTERCOM_CATALOG), host };
      }
      if ((input.target ?? state.settings.target) === 'omnidesk') {
        const key = input.apiKey || state.apiKey;
        if (!key || !(input.omnideskUrl || state.settings.omnideskUrl)) return { ok: false, error: 'No Omnidesk credentials yet.' };
        if (key === 'wrong') return { ok: false, error: 'Omnidesk did not accept the staff e-mail and API key.' };
        return structuredClone(options.omnideskCatalog ?? OMNIDESK_CATALOG);
      }
      const used = input.token || state.token;
      if (!used) return { ok: false, error: 'No token yet: paste the Chat2Desk API token first.' };
      if (used === 'wrong') return { ok: false, error: 'Chat2Desk did not accept this token.' };
      return { target: 'chat2desk', ...structuredClone(options.catalog ?? CATALOG) };
    },
    startJob(mode, allowPaid) {
      const job = newJob(mode, allowPaid === true);
      return { ok: true, jobId: job.id, state: job.state, existing: false };
    },
    jobStatus(jobId) {
      const job = state.jobs.get(jobId);
      if (!job) return { ok: false, error: 'This job is no longer known to the server.' };
      advance(job);
      return status(job);
    },
    cancelJob(jobId) {
      const job = state.jobs.get(jobId);
      if (!job) return { ok: false, error: 'This job is no longer known to the server.' };
      job.cancel = true;
      return { ok: true, state: job.state };
    },
    openReport(jobId) {
      if (!state.jobs.has(jobId)) return { ok: false, error: 'This job is no longer known to the server.' };
      return { ...REPORT };
    },
    currentJob() {
      const current = state.current && state.jobs.get(state.current.jobId);
      const live = current && ['queued', 'running'].includes(current.state);
      return live ? { ok: true, ...state.current } : { ok: true, jobId: null, mode: null };
    },
  };

  /** Runs one call; returns {result} or {thrown} (the page's failure handler). */
  function call(name, args) {
    state.calls.push({ name, args });
    if (name in state.answers) {
      const answer = state.answers[name];
      if (answer === 'throw') return { thrown: `Exception: ${name} failed` };
      if (answer && typeof answer.throw === 'string') return { thrown: answer.throw };
      return { result: answer };
    }
    if (!handlers[name]) return { thrown: `Script function not found: ${name}` };
    return { result: handlers[name](...args) };
  }

  const callsOf = (name) => state.calls.filter((c) => c.name === name).map((c) => c.args);
  return { state, call, callsOf };
}

/**
 * The page-side google.script.run: a runner chain like Google's (each with… returns a new runner)
 * whose functions POST {name, args} to /__rpc and call the success or failure handler later,
 * asynchronously, with the user object. Serialised into the page by addInitScript.
 */
export function installScriptRunStub(names) {
  function runner(success, failure, userObject) {
    const run = {
      withSuccessHandler: (f) => runner(f, failure, userObject),
      withFailureHandler: (f) => runner(success, f, userObject),
      withUserObject: (o) => runner(success, failure, o),
    };
    for (const name of names) {
      run[name] = (...args) => {
        fetch('/__rpc', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, args }),
        })
          .then((response) => response.json())
          .then((reply) => {
            if ('thrown' in reply) {
              if (failure) failure(new Error(reply.thrown), userObject);
              else throw new Error(reply.thrown);
            } else if (success) {
              success(reply.result, userObject);
            }
          }, (error) => { if (failure) failure(error, userObject); });
      };
    }
    return run;
  }
  window.google = { script: { run: runner(null, null, undefined), host: { close() {} } } };
}

/**
 * Serves GET /sidebar?view=&mode= (the template rendered with those variables; a missing one is
 * left unset) and POST /__rpc (the backend) on 127.0.0.1 with a random port.
 */
export async function startServer(backend, { latencyMs = 60 } = {}) {
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    if (request.method === 'GET' && url.pathname === '/sidebar') {
      const vars = {};
      for (const key of ['view', 'mode']) if (url.searchParams.has(key)) vars[key] = url.searchParams.get(key);
      try {
        const html = renderTemplate(SRC, 'Sidebar', vars);
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(html);
      } catch (error) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error.stack));
      }
      return;
    }
    if (request.method === 'POST' && url.pathname === '/__rpc') {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        const { name, args } = JSON.parse(body);
        const reply = backend.call(name, args);
        setTimeout(() => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(reply));
        }, latencyMs);
      });
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
