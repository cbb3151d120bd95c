import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, TOKEN } from '../support/unit.mjs';

/** Every place a secret could end up: answers given, logs, cells, other property stores, pages. */
function assertNowhere(world, answers, secret) {
  for (const answer of answers) assert.ok(!JSON.stringify(answer).includes(secret), `an answer holds it: ${JSON.stringify(answer)}`);
  for (const line of world.logs) assert.ok(!line.includes(secret), `a log line holds it: ${line}`);
  for (const sheet of world.spreadsheet.getSheets()) {
    for (const row of sheet.getDataRange().getValues()) for (const value of row) assert.ok(!String(value).includes(secret), `a cell holds it in ${sheet.getName()}`);
  }
  for (const store of [world.PropertiesService.document, world.PropertiesService.script]) {
    assert.ok(!JSON.stringify(Object.fromEntries(store.map)).includes(secret), 'a shared property store holds it');
  }
  for (const page of world.ui.sidebars) assert.ok(!JSON.stringify(page.vars).includes(secret));
  for (const alert of world.ui.alerts) assert.ok(!alert.prompt.includes(secret));
}

test('the token is stored in the user properties and shown masked; other settings are kept with it', () => {
  const { run, world } = addonWithBackend({ locale: 'ru_RU' });
  assert.deepEqual(run('getSettings'), {
    ok: true,
    target: 'chat2desk',
    tokenSet: false,
    tokenMasked: '',
    channel: null,
    transport: null,
    emailChannel: null,
    tags: [],
    region: 'RU',
    omnideskUrl: null,
    staffEmail: null,
    apiKeySet: false,
    apiKeyMasked: '',
    tagsField: null,
    plays: null,
    intercomTokenSet: false,
    intercomTokenMasked: '',
    intercomRegion: 'US',
    createAttributes: false,
    unarchive: false,
    lang: 'ru',
  });
  const saved = run('saveSettings', {
    token: `  ${TOKEN}\n`, channel: ' Продажи ', transport: 'WhatsApp', emailChannel: ' 3 ', tags: ['vip', ' вебинар ', '', 'vip'], region: 'kz',
  });
  const expected = {
    ok: true,
    target: 'chat2desk',
    tokenSet: true,
    tokenMasked: '••••cdef',
    channel: 'Продажи',
    transport: 'whatsapp',
    emailChannel: '3',
    tags: ['vip', 'вебинар'],
    region: 'KZ',
    omnideskUrl: null,
    staffEmail: null,
    apiKeySet: false,
    apiKeyMasked: '',
    tagsField: null,
    plays: null,
    intercomTokenSet: false,
    intercomTokenMasked: '',
    intercomRegion: 'US',
    createAttributes: false,
    unarchive: false,
    lang: 'ru',
  };
  assert.deepEqual(saved, expected);
  assert.deepEqual(run('getSettings'), expected);
  assert.equal(world.PropertiesService.user.map.get('CL_TARGET_TOKEN'), TOKEN, 'trimmed, in the user store');
});

test('an absent or empty token keeps the stored one; absent fields keep their values; null clears', () => {
  const { run } = addonWithBackend({ locale: 'en_US' });
  run('saveSettings', { token: TOKEN, channel: 'Sales', tags: ['vip'] });
  assert.equal(run('saveSettings', { token: '' }).tokenMasked, '••••cdef');
  assert.equal(run('saveSettings', { channel: 'Support' }).tokenMasked, '••••cdef');
  const after = run('saveSettings', { token: '   ', transport: 'telegram' });
  assert.deepEqual([after.tokenSet, after.channel, after.transport, after.tags], [true, 'Support', 'telegram', ['vip']]);
  assert.equal(run('saveSettings', { emailChannel: '12' }).emailChannel, '12');
  assert.equal(run('saveSettings', { tags: ['vip'] }).emailChannel, '12', 'an absent e-mail channel keeps the stored one');
  const cleared = run('saveSettings', { channel: null, transport: '', emailChannel: '', tags: [] });
  assert.deepEqual([cleared.channel, cleared.transport, cleared.emailChannel, cleared.tags, cleared.region], [null, null, null, [], 'RU']);
  assert.equal(run('saveSettings', { emailChannel: '12' }).emailChannel, '12');
  assert.equal(run('saveSettings', { emailChannel: null }).emailChannel, null, 'null clears it too');
  const replaced = run('saveSettings', { token: 'c2d-fedcba9876543210' });
  assert.equal(replaced.tokenMasked, '••••3210');
});

test('a short token shows nothing of itself', () => {
  const { run } = addonWithBackend({ locale: 'en_US' });
  assert.equal(run('saveSettings', { token: 'abc12345' }).tokenMasked, '••••');
});

test('a region that is not two letters is refused in the spreadsheet language, and nothing is saved', () => {
  const { run } = addonWithBackend({ locale: 'ru_RU' });
  assert.deepEqual(run('saveSettings', { token: TOKEN, region: 'Russia' }), {
    ok: false,
    error: 'Регион — это две латинские буквы, например RU или KZ.',
  });
  assert.equal(run('getSettings').tokenSet, false);
});

test('check connection shows the account name and the requests left this month', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const answer = run('checkConnection');
  assert.deepEqual(answer, {
    ok: true,
    target: 'chat2desk',
    companyName: 'ООО Ромашка',
    requestsLeft: 99000,
    channels: [
      { id: 1, name: 'Продажи', transports: ['whatsapp', 'telegram'] },
      { id: 2, name: 'Поддержка', transports: ['telegram', 'viber'] },
    ],
    transports: ['whatsapp', 'viber', 'telegram', 'sms', 'email', 'widget', 'system'],
    tags: [
      { id: 7, label: 'vip', group_name: 'Маркетинг' },
      { id: 9, label: 'вебинар', group_name: null },
    ],
  });
  assert.equal(backend.lastCatalogBaseUrl, null, 'no target base URL unless TARGET_BASE_URL is set');
});

test("an account's own transport names and channels that take e-mail come through as they are; an unknown allowance stays null", () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  // As real accounts are (chat2desk.md, "What real accounts show…"): providers' names, two
  // channels with e-mail, and an api_info that says nothing of the requests left.
  backend.catalog.requests_left = null;
  backend.catalog.channels = [
    { id: 1, name: 'Продажи', phone: '79990000000', transports: ['wa_dialog', 'tg_user', 'email'] },
    { id: 2, name: 'Рассылки', phone: null, transports: ['email'] },
    { id: 3, name: 'ВК', phone: null, transports: ['vkontakte'] },
  ];
  const answer = run('checkConnection');
  assert.equal(answer.requestsLeft, null, 'not 0: nothing says that nothing is free');
  assert.deepEqual(answer.channels, [
    { id: 1, name: 'Продажи', transports: ['wa_dialog', 'tg_user', 'email'] },
    { id: 2, name: 'Рассылки', transports: ['email'] },
    { id: 3, name: 'ВК', transports: ['vkontakte'] },
  ]);
});

test('check connection with a token typed in the page uses it without storing it', () => {
  const { run } = addonWithBackend({ locale: 'en_US' });
  assert.equal(run('checkConnection', { token: TOKEN }).ok, true);
  assert.equal(run('getSettings').tokenSet, false);
});

test('check connection sends TARGET_BASE_URL when it is set', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN, targetBaseUrl: 'http://127.0.0.1:8088' });
  assert.equal(run('checkConnection').ok, true);
  assert.equal(backend.lastCatalogBaseUrl, 'http://127.0.0.1:8088');
});

test("check connection answers a 422 with the backend's own text", () => {
  const { run } = addonWithBackend({ locale: 'ru_RU' });
  assert.deepEqual(run('checkConnection', { token: 'c2d-wrong-token-000000' }), { ok: false, error: 'Chat2Desk: the token is not correct' });
});

test('check connection without a token, or with the placeholder backend address, says what to do', () => {
  const { run } = addonWithBackend({ locale: 'en_US' });
  assert.deepEqual(run('checkConnection'), { ok: false, error: 'Open Settings and paste your Chat2Desk API token.' });
  const unset = addonWithBackend({ locale: 'ru_RU', backendUrl: null, token: TOKEN });
  const answer = unset.run('checkConnection');
  assert.equal(answer.ok, false);
  assert.match(answer.error, /администратору нужно указать адрес сервиса \(npm run set-backend\)/);
  assert.equal(unset.world.touched.fetch, 0);
});

test('the token never appears in an answer, a log, a cell, a shared store or a page — in success and in failure', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US' });
  const answers = [];
  answers.push(run('saveSettings', { token: TOKEN }));
  answers.push(run('getSettings'));
  answers.push(run('checkConnection'));
  answers.push(run('checkConnection', { token: TOKEN }));
  run('menuNewContactSheet');
  run('menuSettings');
  const started = run('startJob', 'load', false);
  answers.push(started, run('currentJob'), run('jobStatus', started.jobId), run('jobStatus', started.jobId), run('openReport', started.jobId));
  backend.answerNext = { status: 500, body: `internal error` };
  answers.push(run('checkConnection'));
  backend.answerNext = { status: 401, body: '{"error":"authentication required"}' };
  answers.push(run('startJob', 'check', false));
  backend.down = true;
  answers.push(run('checkConnection'), run('startJob', 'load', false), run('jobStatus', started.jobId));
  assert.ok(world.logs.length > 0, 'failures were logged');
  assertNowhere(world, answers, TOKEN);
  // The Google tokens are secrets too.
  assertNowhere(world, answers, world.identityToken);
  assertNowhere(world, answers, world.oauthToken);
});
