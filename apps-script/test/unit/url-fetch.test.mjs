// UrlFetchApp's own refusals (google-sheets.md): with muteHttpExceptions it still throws for a
// URL outside the manifest's urlFetchWhitelist, when the day's quota is spent, and without
// authorization — first the fakes' behaviour, then the words the add-on gives for each.

import test from 'node:test';
import assert from 'node:assert/strict';

import { createWorld, SCOPES, URL_FETCH_QUOTA, validWhitelistEntry, whitelistAllows } from '../support/fakes.mjs';
import { addonWithBackend, BACKEND_URL, TOKEN } from '../support/unit.mjs';

const MUTED = { muteHttpExceptions: true };
const ALL_SCOPES = [SCOPES.spreadsheets, SCOPES.containerUi, SCOPES.externalRequest, SCOPES.scriptApp, SCOPES.openid];
const answering = (status, body, headers = {}) => () => ({ status, headers, body });

const WHITELISTED = (url) => `Request to ${url} failed because the URL has not been whitelisted in the script manifest.`;
const QUOTA = 'Service invoked too many times for one day: urlfetch.';
const NO_PERMISSION = 'You do not have permission to call UrlFetchApp.fetch. Required permissions: https://www.googleapis.com/auth/script.external_request';

/** Asserts `fn` throws Apps Script's exception with exactly `message`. */
function throwsException(fn, message) {
  assert.throws(fn, (e) => {
    assert.equal(e.name, 'Exception');
    assert.equal(e.message, message);
    assert.equal(String(e), `Exception: ${message}`);
    return true;
  });
}

// ---- The fakes -----------------------------------------------------------------------------

test('the world reads its scopes and whitelist from src/appsscript.json unless a test says otherwise', () => {
  const shipped = createWorld();
  assert.deepEqual([...shipped.scopes].sort(), [...ALL_SCOPES].sort());
  assert.deepEqual(shipped.urlFetchWhitelist, ['https://contact-loader.example.com/']);
  const own = createWorld({ scopes: ['openid'], urlFetchWhitelist: ['https://a.test/'] });
  assert.deepEqual([own.scopes, own.urlFetchWhitelist], [['openid'], ['https://a.test/']]);
});

test('whitelist entries are https:// prefixes with a full domain and a non-empty path', () => {
  for (const entry of ['https://x.com/', 'https://x.com/loader/', 'https://*.x.com/', 'https://x.com:8443/']) {
    assert.ok(validWhitelistEntry(entry), entry);
  }
  for (const entry of ['https://x.com', 'http://x.com/', 'https://localhost/', 'x.com/', 'https:///', '*', 'https://x.com/*']) {
    assert.ok(!validWhitelistEntry(entry), entry);
  }
  assert.ok(whitelistAllows(['https://x.com/'], 'https://x.com/v1/jobs'));
  assert.ok(whitelistAllows(['https://x.com/loader/'], 'https://x.com/loader/v1/jobs'));
  assert.ok(!whitelistAllows(['https://x.com/loader/'], 'https://x.com/loader-other/v1'));
  assert.ok(!whitelistAllows(['https://x.com/'], 'https://x.com.evil.test/'));
  assert.ok(!whitelistAllows(['https://x.com/'], 'http://x.com/'));
  // An invalid entry lets nothing through: not even what it is a prefix of.
  assert.ok(!whitelistAllows(['https://x.com'], 'https://x.com/v1/jobs'));
  assert.ok(whitelistAllows(['https://*.x.com/'], 'https://api.x.com/v1'));
  assert.ok(!whitelistAllows(['https://*.x.com/'], 'https://x.com/v1'));
  assert.ok(whitelistAllows(undefined, 'https://anything.test/'), 'no whitelist at all: a test deployment may fetch anything');
});

test('a URL outside the whitelist throws, even with muteHttpExceptions, and nothing is sent', () => {
  const sent = [];
  const world = createWorld({ urlFetchWhitelist: ['https://backend.test/'], transport: (request) => sent.push(request) && { status: 200, body: '' } });
  throwsException(() => world.UrlFetchApp.fetch('https://other.test/v1/jobs', MUTED), WHITELISTED('https://other.test/v1/jobs'));
  throwsException(() => world.UrlFetchApp.fetch('http://backend.test/v1/jobs', MUTED), WHITELISTED('http://backend.test/v1/jobs'));
  throwsException(() => world.UrlFetchApp.fetch('http://127.0.0.1:8080/v1/jobs', MUTED), WHITELISTED('http://127.0.0.1:8080/v1/jobs'));
  assert.equal(sent.length, 0);
  assert.equal(world.UrlFetchApp.fetch('https://backend.test/v1/jobs', MUTED).getResponseCode(), 200);
  assert.equal(sent.length, 1);
});

test("the day's UrlFetch quota: the call past it throws, refused calls do not count", () => {
  assert.equal(URL_FETCH_QUOTA, 20000, "a consumer account's day");
  const world = createWorld({ urlFetchQuota: 2, urlFetchWhitelist: ['https://backend.test/'], transport: answering(200, 'ok') });
  assert.throws(() => world.UrlFetchApp.fetch('https://other.test/', MUTED), /not been whitelisted/);
  assert.equal(world.UrlFetchApp.fetch('https://backend.test/a', MUTED).getContentText(), 'ok');
  assert.equal(world.UrlFetchApp.fetch('https://backend.test/b', MUTED).getContentText(), 'ok');
  throwsException(() => world.UrlFetchApp.fetch('https://backend.test/c', MUTED), QUOTA);
  assert.equal(world.urlFetchCallsLeft, 0);
});

test('without authorization fetch throws: the scope missing from the manifest, not granted, or AuthMode.NONE', () => {
  const noScope = createWorld({ scopes: ALL_SCOPES.filter((s) => s !== SCOPES.externalRequest), transport: answering(200, '') });
  throwsException(() => noScope.UrlFetchApp.fetch('https://contact-loader.example.com/', MUTED), NO_PERMISSION);
  const notGranted = createWorld({ authorized: false, transport: answering(200, '') });
  throwsException(() => notGranted.UrlFetchApp.fetch('https://contact-loader.example.com/', MUTED), NO_PERMISSION);
  const none = createWorld({ transport: answering(200, '') });
  none.authMode = 'NONE';
  throwsException(() => none.UrlFetchApp.fetch('https://contact-loader.example.com/', MUTED), NO_PERMISSION);
  assert.equal(none.touched.fetch, 1, 'counted as touched');
});

test('other services check their scopes too, with the alternatives Apps Script names', () => {
  const world = createWorld({ scopes: [SCOPES.openid] });
  throwsException(
    () => world.SpreadsheetApp.getActive(),
    'You do not have permission to call SpreadsheetApp.getActive. Required permissions: (https://www.googleapis.com/auth/spreadsheets.currentonly || https://www.googleapis.com/auth/spreadsheets)'
  );
  throwsException(
    () => world.SpreadsheetApp.getUi().showSidebar({}),
    'You do not have permission to call Ui.showSidebar. Required permissions: https://www.googleapis.com/auth/script.container.ui'
  );
});

test('getIdentityToken() is null without openid in the manifest', () => {
  assert.equal(createWorld({ identityToken: 'jwt' }).ScriptApp.getIdentityToken(), 'jwt');
  assert.equal(createWorld({ identityToken: 'jwt', scopes: ALL_SCOPES.filter((s) => s !== 'openid') }).ScriptApp.getIdentityToken(), null);
});

test('HTTPResponse decodes with the charset it is given; without one, by the Content-Type, else not as UTF-8', () => {
  const fetchWith = (headers, body) =>
    createWorld({ urlFetchWhitelist: ['https://backend.test/'], transport: answering(200, body, headers) }).UrlFetchApp.fetch('https://backend.test/', MUTED);
  const json = fetchWith({ 'Content-Type': 'application/json' }, '{"company_name":"ООО Ромашка"}');
  assert.equal(JSON.parse(json.getContentText('UTF-8')).company_name, 'ООО Ромашка');
  assert.notEqual(JSON.parse(json.getContentText()).company_name, 'ООО Ромашка', 'no charset named: garbled');
  assert.equal(fetchWith({ 'content-type': 'text/csv; charset=utf-8' }, 'Ромашка').getContentText(), 'Ромашка');
  // Bytes as they came: windows-1251 text read as what it is.
  const cp1251 = fetchWith({}, new Uint8Array([0xd0, 0xee, 0xec, 0xe0, 0xf8, 0xea, 0xe0]));
  assert.equal(cp1251.getContentText('windows-1251'), 'Ромашка');
  assert.deepEqual(cp1251.getContent().slice(0, 2), [-48, -18], 'signed bytes, as Java gives them');
  assert.throws(() => cp1251.getContentText('no-such-charset'), /Invalid argument/);
});

// ---- What the add-on says ------------------------------------------------------------------

const WORDS = {
  notAllowlisted: {
    en: `Google did not let the add-on call its loading service: the address ${BACKEND_URL} is not on the add-on's list of allowed addresses (urlFetchWhitelist). Tell your administrator.`,
    ru: `Google не разрешил дополнению обратиться к сервису загрузки: адреса ${BACKEND_URL} нет в списке разрешённых адресов дополнения (urlFetchWhitelist). Сообщите администратору.`,
  },
  fetchQuota: {
    en: "Google's daily limit on the add-on's calls to outside services is used up for your account. It renews within a day: try again tomorrow.",
    ru: 'Исчерпан суточный лимит Google на обращения дополнения к внешним сервисам для вашей учётной записи. Он восстановится в течение суток: попробуйте завтра.',
  },
  authorize: {
    en: 'The add-on is not allowed to connect to its service for you. Open Extensions → Contact loader and choose any item: Google asks you to allow access. Allow it, then try again. If you are signed in to several Google accounts, use one, or a private window.',
    ru: 'Дополнению не разрешено подключаться к сервису от вашего имени. Откройте «Расширения → Загрузка контактов» и выберите любой пункт: Google попросит разрешить доступ. Разрешите и попробуйте снова. Если вы вошли в несколько аккаунтов Google, работайте в одном или в приватном окне.',
  },
};

const FAILURES = [
  { name: 'a URL outside the whitelist', kind: 'allowlist', words: 'notAllowlisted', set: (world) => (world.urlFetchWhitelist = ['https://elsewhere.test/']), logged: WHITELISTED(`${BACKEND_URL}v1/jobs`) },
  { name: "the day's quota spent", kind: 'quota', words: 'fetchQuota', set: (world) => (world.urlFetchCallsLeft = 0), logged: QUOTA },
  { name: 'the external_request scope missing', kind: 'authorization', words: 'authorize', set: (world) => (world.scopes = world.scopes.filter((s) => s !== SCOPES.externalRequest)), logged: NO_PERMISSION },
];

for (const lang of ['en', 'ru']) {
  const locale = lang === 'ru' ? 'ru_RU' : 'en_US';
  for (const failure of FAILURES) {
    test(`${failure.name} has its own words in ${lang}, from every call, and is logged with console.error`, () => {
      const { run, world, backend } = addonWithBackend({ locale, token: TOKEN });
      const job = run('startJob', 'load', false);
      assert.equal(job.ok, true);
      failure.set(world);
      world.logs.length = 0;
      const answers = [
        run('startJob', 'check', false),
        run('checkConnection'),
        run('jobStatus', job.jobId),
        run('cancelJob', job.jobId),
        run('openReport', job.jobId),
      ];
      for (const answer of answers) assert.deepEqual(answer, { ok: false, error: WORDS[failure.words][lang] });
      assert.equal(backend.jobs.size, 1, 'nothing more reached the backend');
      assert.ok(
        world.logs.includes(`error: contact-loader: POST /v1/jobs got no answer (${failure.kind}): ${failure.logged}`),
        world.logs.join('\n')
      );
      assert.equal(world.logs.filter((line) => line.startsWith('error: ')).length, answers.length, 'each failure logged once');
    });
  }
}

test('a user who has not authorized the add-on is asked to, before anything is read', () => {
  const { run, world } = addonWithBackend({ locale: 'ru_RU', token: TOKEN });
  world.authorized = false;
  // The spreadsheet cannot be read either, so not even its language: English.
  assert.deepEqual(run('startJob', 'load', false), { ok: false, error: WORDS.authorize.en });
  assert.deepEqual(run('getSettings'), { ok: false, error: WORDS.authorize.en });
  assert.equal(world.touched.fetch, 0);
  assert.ok(world.logs.some((line) => line.startsWith('error: contact-loader: Exception: You do not have permission to call SpreadsheetApp.getActive')), world.logs.join('\n'));
});

test('a fetch failure is logged without a token, even should a message quote one', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const fetch = world.UrlFetchApp.fetch.bind(world.UrlFetchApp);
  world.UrlFetchApp.fetch = (url, params) => {
    const quoted = Object.values(params.headers).join(' ') + ' ' + (params.payload || '');
    throw new Error(`Address unavailable: ${url} (${quoted})`);
  };
  const answers = [run('checkConnection'), run('startJob', 'load', false)];
  world.UrlFetchApp.fetch = fetch;
  for (const answer of answers) assert.equal(answer.ok, false);
  assert.equal(world.logs.filter((line) => line.startsWith('error: ')).length, 2);
  for (const secret of [TOKEN, world.identityToken, world.oauthToken]) {
    for (const line of world.logs) assert.ok(!line.includes(secret), `a log line holds ${secret}: ${line}`);
  }
  assert.ok(world.logs.some((line) => line.includes('[secret]')), 'the tokens were replaced, the rest kept');
});

test('the backend is read as UTF-8 even when its answer names no charset', () => {
  const { run, backend } = addonWithBackend({ locale: 'ru_RU', token: TOKEN });
  backend.answerNext = { status: 422, headers: { 'Content-Type': 'application/json' }, body: '{"error":"Chat2Desk: токен не подходит"}' };
  assert.deepEqual(run('checkConnection'), { ok: false, error: 'Chat2Desk: токен не подходит' });
  assert.equal(run('checkConnection').companyName, 'ООО Ромашка');
});
