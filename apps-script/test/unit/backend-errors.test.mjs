import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, TOKEN } from '../support/unit.mjs';

const SIGN_IN = {
  en: 'Your Google sign-in has expired, or this account is not allowed to use the service. Reload the spreadsheet and try again; if it repeats, ask your administrator.',
  ru: 'Вход в Google истёк или этой учётной записи не разрешено пользоваться сервисом. Обновите страницу таблицы и попробуйте снова; если не поможет — обратитесь к администратору.',
};
const UNREACHABLE = {
  en: 'The loading service is not reachable. Try again in a minute.',
  ru: 'Сервис загрузки недоступен. Попробуйте ещё раз через минуту.',
};

// What the backend (or a proxy in front of it) answers, and what the user reads.
const CASES = [
  { name: '401', answer: { status: 401, body: '{"error":"authentication required: send `Authorization: Bearer <ID token or API key>`"}' }, en: SIGN_IN.en, ru: SIGN_IN.ru },
  { name: '403 from a proxy', answer: { status: 403, body: '<html>Forbidden</html>' }, en: SIGN_IN.en, ru: SIGN_IN.ru },
  {
    name: '422 with the backend text',
    answer: { status: 422, body: '{"error":"unknown target kind `x`: chat2desk"}' },
    en: 'unknown target kind `x`: chat2desk',
    ru: 'unknown target kind `x`: chat2desk',
  },
  { name: '500', answer: { status: 500, body: '{"error":"the service failed; try again"}' }, en: UNREACHABLE.en, ru: UNREACHABLE.ru },
  { name: '502 HTML from a proxy', answer: { status: 502, body: '<html>Bad Gateway</html>' }, en: UNREACHABLE.en, ru: UNREACHABLE.ru },
  {
    name: '429',
    answer: { status: 429, body: '{"error":"too many jobs sent in a short time: wait a little and send it again"}' },
    en: 'Too many loads started at once: wait until one of yours ends (or cancel it) and try again in a minute.',
    ru: 'Слишком много запусков сразу: дождитесь окончания одной из ваших загрузок (или отмените её) и попробуйте через минуту.',
  },
  {
    name: '409',
    answer: { status: 409, body: '{"error":"another user\'s job is running on this sheet: try again when it has ended"}' },
    en: "Another user's load is running on this sheet. Try again when it has ended.",
    ru: 'С этим листом уже работает загрузка другого пользователя. Попробуйте, когда она закончится.',
  },
  {
    name: '403 with the backend text',
    answer: { status: 403, body: '{"error":"your Google account cannot open this spreadsheet"}' },
    en: 'your Google account cannot open this spreadsheet',
    ru: 'your Google account cannot open this spreadsheet',
  },
  {
    name: '400 without a text',
    answer: { status: 400, body: 'Bad Request' },
    en: 'The service did not accept the request (code 400). Try again or ask your administrator.',
    ru: 'Сервис не принял запрос (код 400). Попробуйте ещё раз или обратитесь к администратору.',
  },
];

for (const lang of ['en', 'ru']) {
  const locale = lang === 'ru' ? 'ru_RU' : 'en_US';
  for (const c of CASES) {
    test(`${c.name} reads, in ${lang}: the same words from every call`, () => {
      const { run, backend } = addonWithBackend({ locale, token: TOKEN });
      const job = run('startJob', 'load', false);
      const calls = [
        () => run('checkConnection'),
        () => run('startJob', 'check', false),
        () => run('jobStatus', job.jobId),
        () => run('cancelJob', job.jobId),
        () => run('openReport', job.jobId),
      ];
      for (const call of calls) {
        backend.answerNext = c.answer;
        assert.deepEqual(call(), { ok: false, error: c[lang] });
      }
    });
  }

  test(`no answer at all (network) reads, in ${lang}: not reachable`, () => {
    const { run, backend, world } = addonWithBackend({ locale, token: TOKEN });
    backend.down = true;
    assert.deepEqual(run('startJob', 'load', false), { ok: false, error: UNREACHABLE[lang] });
    assert.deepEqual(run('checkConnection'), { ok: false, error: UNREACHABLE[lang] });
    assert.ok(world.logs.includes('error: contact-loader: POST /v1/jobs got no answer (network): Address unavailable: https://backend.test/v1/jobs'), world.logs.join('\n'));
  });
}

test('an unknown job (404) says it may belong to another account', () => {
  const { run } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  assert.deepEqual(run('jobStatus', 'job-404'), {
    ok: false,
    error: 'This load was not found: it may have been started from another Google account. Start the load again.',
  });
});

test('no identity token (the openid scope missing) is a sign-in problem, and nothing is sent', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  world.scopes = world.scopes.filter((scope) => scope !== 'openid');
  assert.equal(world.ScriptApp.getIdentityToken(), null, 'Apps Script gives none without openid');
  assert.deepEqual(run('startJob', 'load', false), { ok: false, error: SIGN_IN.en });
  assert.equal(backend.jobs.size, 0);
  assert.equal(world.touched.fetch, 0);
});

test('a bug is answered in plain words, not thrown at the page', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  world.spreadsheet.getActiveSheet = () => {
    throw new TypeError('boom');
  };
  const answer = run('startJob', 'load', false);
  assert.equal(answer.ok, false);
  assert.match(answer.error, /^Something went wrong \(boom\)\. Try again/);
  assert.ok(world.logs.some((line) => line.startsWith('error: contact-loader: TypeError: boom')));
});

test('a backend under a path: the paths are joined once, inside the whitelisted prefix', () => {
  const { run, backend, world } = addonWithBackend({ locale: 'en_US', token: TOKEN, backendUrl: 'https://backend.test/loader/' });
  assert.deepEqual(world.urlFetchWhitelist, ['https://backend.test/loader/']);
  assert.equal(run('checkConnection').ok, true);
  assert.equal(run('startJob', 'load', false).ok, true);
  assert.equal(backend.jobs.size, 1, 'POST https://backend.test/loader/v1/jobs reached it');
});
