// A small stand-in for `contact-loader serve` in unit tests: the HTTP API of CONTRACT.md
// over its own state (jobs it has taken, how far each got), answering UrlFetchApp's
// requests synchronously. Not a spy: tests look at what it holds, as they would look at a
// real backend's database.

export const CATALOG = {
  company_name: 'ООО Ромашка',
  requests_left: 99000,
  channels: [
    { id: 1, name: 'Продажи', phone: '79990000000', transports: ['whatsapp', 'telegram'] },
    { id: 2, name: 'Поддержка', phone: '79990000001', transports: ['telegram', 'viber'] },
  ],
  transports: ['whatsapp', 'viber', 'telegram', 'sms', 'email', 'widget', 'system'],
  tags: [
    { id: 7, label: 'vip', description: '', group_id: 1, group_name: 'Маркетинг' },
    { id: 9, label: 'вебинар', description: '', group_id: null, group_name: null },
  ],
};

// An Omnidesk account as the backend's catalog shows it (src/targets/omnidesk/target.rs
// `catalog_view`): user-level active data fields only, each with whether a sheet column
// titled after it fills it (not "Теги": the backend reads that title as the Tags column),
// the users' count, the rate.
export const OMNIDESK = {
  url: 'https://romashka.omnidesk.ru',
  staffEmail: 'staff@romashka.ru',
  apiKey: 'omni-key-0123456789abcdef',
  catalog: {
    fields: [
      { field_id: 1, title: 'Теги', field_type: 'text', field_level: 'user', active: true, field_data: '', sheet_column: false },
      { field_id: 2, title: 'Тариф', field_type: 'select', field_level: 'user', active: true, field_data: { 1: 'Базовый', 2: 'Про' }, sheet_column: true },
      { field_id: 5, title: 'Заметки', field_type: 'textarea', field_level: 'user', active: true, field_data: '', sheet_column: true },
    ],
    users: 1200,
    rate_limit_per_minute: 5,
  },
};

// An Intercom workspace as the backend's catalog shows it (src/targets/intercom/target.rs
// `catalog_view`): its custom attributes by name and type, its tags' names, its rate.
export const INTERCOM = {
  token: 'ic-token-0123456789abcdef',
  hosts: ['https://api.intercom.io', 'https://api.eu.intercom.io', 'https://api.au.intercom.io'],
  catalog: {
    attributes: { telegram_id: 'string', job_title: 'string', plan: 'integer' },
    tags: ['vip', 'b2b', 'вебинар'],
    rate_limit_per_minute: 10000,
  },
};

// What each kind takes besides kind, base_url, tags and region (src/serve/submit.rs: a
// setting a kind does not take is refused with 400).
const KIND_FIELDS = {
  chat2desk: ['token', 'channel', 'transport', 'email_channel'],
  omnidesk: ['staff_email', 'api_key', 'tags_field', 'plays'],
  intercom: ['token', 'version', 'comment_attribute', 'create_attributes', 'unarchive', 'search_lag_secs'],
};

// The names of Omnidesk's `plays` (src/targets/omnidesk/api.rs `Assumptions::NAMES`): another
// is refused at submit.
const OMNIDESK_PLAYS = [
  'throttle-403', 'retry-after-always', 'retry-after-never', 'error-description', 'duplicate-with-id',
  'create-links-identifiers', 'phone-digits', 'email-case-sensitive', 'search-lag', 'note-appends',
  'links-pairwise', 'relink-refused', 'select-by-title', 'channel-names', 'numbers-as-strings',
];

const LIVE = ['queued', 'running'];

export class FakeBackend {
  constructor({ baseUrl = 'https://backend.test', identityToken = 'identity-token', targetTokens = ['c2d-0123456789abcdef'] } = {}) {
    this.baseUrl = baseUrl;
    this.identityToken = identityToken;
    this.targetTokens = targetTokens;
    this.catalog = structuredClone(CATALOG);
    this.jobs = new Map();
    this.nextId = 1;
    // What every job's rows end as, in report.csv's terms; one target request per created row.
    this.outcome = [
      { status: 'created', reason: '', client_id: '501' },
      { status: 'created', reason: '', client_id: '502' },
      { status: 'merged', reason: 'the same contact as row 2', client_id: '501' },
      { status: 'invalid', reason: 'a name "=HYPERLINK(""x"")", with a comma,\nand a new line', client_id: '' },
    ];
    // The month's free requests left: a load needing more is refused unless allow_paid. null:
    // the account does not say, and a load of more than `unknownAllowanceConsent` requests is
    // refused unless allow_paid (src/load.rs UNKNOWN_ALLOWANCE_CONSENT).
    this.freeLeft = 1000;
    this.unknownAllowanceConsent = 1000;
    this.answersMode = true; // false: GET /v1/jobs/{id} without `mode`, as the first slice of serve did
    this.omnidesk = structuredClone(OMNIDESK);
    // Whether the sheet has tags: an Omnidesk load of it without tags_field fails, as the
    // real one does once it has read the sheet (src/targets/omnidesk/rules.rs).
    this.sheetHasTags = false;
    this.intercom = structuredClone(INTERCOM);
    // Attributes the sheet fills that the workspace lacks: an Intercom load of it without
    // create_attributes fails before any write, as the real one does (target.rs `ready`).
    this.missingAttributes = [];
    // Requests a load plans (null: one per created row), for planned_requests and planned_seconds.
    this.plannedRequests = null;
    this.down = false; // true: no answer at all (DNS, refused connection)
    this.codes = true; // false: errors without their `code` / `error_code`, as a backend before them
    this.answerNext = null; // {status, body}: the next request gets this, whatever it was
    this.transport = (request) => this.handle(request);
  }

  handle(request) {
    if (this.down) throw new Error('connect ECONNREFUSED');
    if (this.answerNext) {
      const answer = this.answerNext;
      this.answerNext = null;
      return answer;
    }
    const header = (name) => {
      const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name.toLowerCase());
      return key === undefined ? null : request.headers[key];
    };
    if (!request.url.startsWith(this.baseUrl + '/')) return { status: 404, body: 'not here' };
    if (header('Authorization') !== `Bearer ${this.identityToken}`) {
      return this.refuse(401, 'authentication required: send `Authorization: Bearer <ID token or API key>`', 'unauthenticated');
    }
    const path = request.url.slice(this.baseUrl.length);
    let m;
    if (request.method === 'POST' && path === '/v1/jobs') return this.submit(JSON.parse(request.body), header('Content-Type'));
    if (request.method === 'GET' && (m = /^\/v1\/jobs\/([^/]+)$/.exec(path))) return this.poll(decodeURIComponent(m[1]), header('X-Sheets-Token'));
    if (request.method === 'POST' && (m = /^\/v1\/jobs\/([^/]+)\/cancel$/.exec(path))) return this.cancel(decodeURIComponent(m[1]));
    if (request.method === 'GET' && (m = /^\/v1\/jobs\/([^/]+)\/report\.csv$/.exec(path))) return this.report(decodeURIComponent(m[1]));
    if (request.method === 'GET' && path === '/v1/targets/chat2desk/catalog') {
      return this.catalogFor(header('X-Target-Token'), header('X-Target-Base-Url'));
    }
    if (request.method === 'GET' && path === '/v1/targets/intercom/catalog') {
      return this.intercomCatalog(header('X-Target-Token'), header('X-Target-Base-Url'));
    }
    if (request.method === 'GET' && path === '/v1/targets/omnidesk/catalog') {
      return this.omnideskCatalog(header('X-Target-Staff-Email'), header('X-Target-Api-Key'), header('X-Target-Base-Url'));
    }
    return json(404, { error: 'not found', code: 'not_found' });
  }

  /** An error answer as src/serve/api.rs writes it: the text and its stable code. */
  refuse(status, error, code) {
    return json(status, this.codes ? { error, code } : { error });
  }

  submit(body, contentType) {
    if (contentType !== 'application/json') return json(415, { error: 'send JSON' });
    const target = body.target || {};
    const taken = KIND_FIELDS[target.kind];
    if (!taken) return json(400, { error: `unknown target kind ${target.kind}` });
    const other = Object.keys(target).find((key) => !['kind', 'base_url', 'tags', 'region', ...taken].includes(key));
    if (other) return json(400, { error: `${target.kind} takes no setting ${other}` });
    if (target.kind === 'chat2desk' && !this.targetTokens.includes(target.token)) {
      return json(422, { error: 'Chat2Desk: the token is not correct' });
    }
    if (target.kind === 'intercom') {
      const refused = this.intercomRefusal(target.token, target.base_url);
      if (refused) return refused;
    }
    if (target.kind === 'omnidesk') {
      if (!target.base_url) return json(422, { error: 'omnidesk has no default address: send base_url' });
      if (!/\.omnidesk\.(ru|pro)$/.test(new URL(target.base_url).host)) {
        return this.refuse(422, `\`${target.base_url}\` is not an Omnidesk account's address (https://ACCOUNT.omnidesk.ru or .omnidesk.pro); this server calls no other host`, 'base_url_not_allowed');
      }
      if (!target.staff_email || !target.api_key) return json(422, { error: 'send the Omnidesk staff_email and api_key' });
      const unknown = String(target.plays || '').split(',').map((name) => name.trim()).find((name) => name && !OMNIDESK_PLAYS.includes(name));
      if (unknown) return this.refuse(400, `Omnidesk settings: unknown variant \`${unknown}\`: use ${OMNIDESK_PLAYS.join(', ')}`, 'invalid_request');
    }
    const live = [...this.jobs.values()].find(
      (job) => LIVE.includes(job.state) && job.request.spreadsheet_id === body.spreadsheet_id && job.request.sheet === body.sheet
    );
    if (live) return json(200, { job_id: live.id, state: live.state, new: false });
    const job = { id: `job-${this.nextId++}`, request: body, state: 'queued', polls: 0, sheetsTokens: [], progress: null, estimate: null, error: null };
    this.jobs.set(job.id, job);
    return json(202, { job_id: job.id, state: job.state, new: true });
  }

  /** Each poll moves a job on: queued → running (half done) → done, or refused with an estimate. */
  poll(id, sheetsToken) {
    const job = this.jobs.get(id);
    if (!job) return json(404, { error: 'no such job' });
    if (sheetsToken) job.sheetsTokens.push(sheetsToken);
    const total = this.outcome.length;
    const requests = this.outcome.filter((line) => line.status === 'created').length;
    const target = job.request.target;
    const omnidesk = target.kind === 'omnidesk';
    if (job.state === 'queued') {
      const unknown = this.freeLeft === null;
      const planned = this.plannedRequests === null ? requests : this.plannedRequests;
      if (omnidesk && this.sheetHasTags && !target.tags_field) {
        job.state = 'failed';
        job.error =
          'the list has tags, and Omnidesk users have no tags: create a user data field (Settings → Data fields, level “user”, ' +
          "type text) and name it with --tags-field TITLE (the add-on's “Tags field”), or clear the Tags column";
        job.errorCode = 'tags_field_missing';
      } else if (omnidesk && target.tags_field && !this.omnidesk.catalog.fields.some((f) => f.title === target.tags_field)) {
        job.state = 'failed';
        job.error = `Omnidesk has no user data field “${target.tags_field}” for the tags; it has: ${this.omnidesk.catalog.fields.map((f) => f.title).join(', ')}. Create one (Settings → Data fields, level “user”, type text), then run again`;
        job.errorCode = 'tags_field_unknown';
      } else if (target.kind === 'intercom' && this.missingAttributes.length > 0 && !target.create_attributes) {
        job.state = 'failed';
        job.error =
          `the list needs custom attributes the Intercom workspace does not have: ${this.missingAttributes.join(', ')}. Create each ` +
          'in Intercom (Settings → Data → People → Create attribute, type Text) with that name, or run again with ' +
          '--create-attributes (the add-on’s “Create missing attributes”) to have them created';
        job.errorCode = 'attributes_missing';
      } else if (omnidesk || target.kind === 'intercom') {
        // Neither is paid for by the request: no estimate, only the time at the announced rate.
        job.state = 'running';
        const rate = (omnidesk ? this.omnidesk : this.intercom).catalog.rate_limit_per_minute;
        job.progress = {
          contacts_done: Math.floor(total / 2), contacts_total: total, requests: 1, requests_per_second: rate / 60, eta_seconds: 4,
          planned_requests: planned, planned_seconds: rate ? Math.ceil((planned * 60) / rate) : null,
        };
      } else if (job.request.mode === 'load' && unknown && requests > this.unknownAllowanceConsent && !job.request.allow_paid) {
        job.state = 'failed';
        job.error = `this load needs about ${requests} requests, and the account does not say how many of this month's are free`;
        job.estimate = { requests, free_left: null, paid: null, cost_rub: null };
      } else if (job.request.mode === 'load' && !unknown && requests > this.freeLeft && !job.request.allow_paid) {
        job.state = 'failed';
        job.error = `the load needs ${requests} requests and ${this.freeLeft} are free this month`;
        job.estimate = { requests, free_left: this.freeLeft, paid: requests - this.freeLeft, cost_rub: (requests - this.freeLeft) * 0.01 };
      } else {
        job.state = 'running';
        job.progress = {
          contacts_done: Math.floor(total / 2), contacts_total: total, requests: 1, requests_per_second: 2.5, eta_seconds: 4,
          planned_requests: planned, planned_seconds: null,
        };
      }
    } else if (job.state === 'running') {
      job.state = 'done';
      const byStatus = {};
      for (const line of this.outcome) byStatus[line.status] = (byStatus[line.status] || 0) + 1;
      job.progress = { ...job.progress, rows: total, by_status: byStatus, requests, eta_seconds: null };
    }
    const mode = this.answersMode ? { mode: job.request.mode } : {};
    const code = this.codes ? { error_code: job.errorCode || null } : {};
    return json(200, { job_id: job.id, ...mode, state: job.state, progress: job.progress, error: job.error, ...code, estimate: job.estimate });
  }

  cancel(id) {
    const job = this.jobs.get(id);
    if (!job) return json(404, { error: 'no such job' });
    if (LIVE.includes(job.state)) job.state = 'cancelled';
    return json(200, { job_id: id, state: job.state });
  }

  report(id) {
    const job = this.jobs.get(id);
    if (!job || job.state !== 'done') return json(404, { error: 'no such job' });
    const quote = (field) => (/[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
    // As the backend writes it (src/report.rs `neutralised`): a reason or an id that starts
    // like a formula gets a leading apostrophe.
    const guard = (text) => (/^'?[=+\-@\t\r]/.test(text) ? `'${text}` : text);
    const lines = this.outcome.map((line, i) => [String(i + 2), line.status, guard(line.reason), guard(line.client_id)].map(quote).join(','));
    return { status: 200, headers: { 'Content-Type': 'text/csv; charset=utf-8' }, body: ['row,status,reason,client_id', ...lines].join('\n') + '\n' };
  }

  catalogFor(token, baseUrl) {
    if (!token) return json(422, { error: 'send the target token in X-Target-Token' });
    if (!this.targetTokens.includes(token)) return json(422, { error: 'Chat2Desk: the token is not correct' });
    this.lastCatalogBaseUrl = baseUrl;
    return json(200, this.catalog);
  }

  /** Why Intercom's catalog or job is refused (the host first, as serve/api.rs checks it), or null. */
  intercomRefusal(token, baseUrl) {
    if (!this.intercom.hosts.includes(baseUrl || INTERCOM.hosts[0])) {
      return this.refuse(422, `\`${baseUrl}\` is not Intercom's API (api.intercom.io, api.eu.intercom.io, api.au.intercom.io); this server calls no other host`, 'base_url_not_allowed');
    }
    if (token !== this.intercom.token) {
      return json(422, { error: 'Intercom: Intercom refuses the access token (unauthorized): Access Token Invalid' });
    }
    return null;
  }

  intercomCatalog(token, baseUrl) {
    if (!token) return json(400, { error: 'send the Intercom token in x-target-token' });
    this.lastCatalogBaseUrl = baseUrl;
    return this.intercomRefusal(token, baseUrl) || json(200, this.intercom.catalog);
  }

  omnideskCatalog(staffEmail, apiKey, baseUrl) {
    if (!staffEmail || !apiKey) return json(422, { error: 'send the Omnidesk staff_email in x-target-staff-email' });
    if (!baseUrl) return json(422, { error: 'omnidesk has no default address: send base_url' });
    this.lastCatalogBaseUrl = baseUrl;
    if (baseUrl !== this.omnidesk.url) {
      return this.refuse(422, `\`${baseUrl}\` is not an Omnidesk account's address (https://ACCOUNT.omnidesk.ru or .omnidesk.pro); this server calls no other host`, 'base_url_not_allowed');
    }
    if (staffEmail !== this.omnidesk.staffEmail || apiKey !== this.omnidesk.apiKey) {
      return json(422, { error: 'Omnidesk: Omnidesk refuses the staff e-mail and API key (401): wrong credentials' });
    }
    return json(200, this.omnidesk.catalog);
  }
}

function json(status, body) {
  return { status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}
