// The add-on with Intercom as its target: settings and the access token, the region's host,
// the connection check, the job it sends, the contact sheet with its Tags dropdown, the
// texts that name the target, and the backend's Intercom refusals in the user's words.
import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, TOKEN } from '../support/unit.mjs';
import { INTERCOM, OMNIDESK } from '../support/fake-backend.mjs';

const RU_HEADERS = ['Телефон', 'Эл. почта', 'ID мессенджера', 'Имя', 'Компания', 'Должность', 'Комментарий', 'Теги', 'Статус', 'ID клиента'];
const EN_HEADERS = ['Phone', 'E-mail', 'Messenger ID', 'Name', 'Company', 'Position', 'Comment', 'Tags', 'Status', 'Client ID'];

/** The add-on set up for Intercom as a user would leave it after Settings. */
function intercom(options = {}, settings = {}) {
  const rig = addonWithBackend(options);
  const saved = rig.run('saveSettings', { target: 'intercom', intercomToken: INTERCOM.token, ...settings });
  assert.equal(saved.ok, true, JSON.stringify(saved));
  return rig;
}

test('Intercom settings: the access token is stored apart and shown masked, the region and both consents are kept, and nothing of the other targets is lost', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  run('saveSettings', { target: 'omnidesk', omnideskUrl: OMNIDESK.url, staffEmail: OMNIDESK.staffEmail, apiKey: OMNIDESK.apiKey });
  const saved = run('saveSettings', { target: 'intercom', intercomToken: ` ${INTERCOM.token}\n`, intercomRegion: ' eu ', createAttributes: true, unarchive: true });
  assert.deepEqual(saved, {
    ok: true,
    target: 'intercom',
    tokenSet: true,
    tokenMasked: '••••cdef',
    channel: null,
    transport: null,
    emailChannel: null,
    tags: [],
    region: 'RU',
    omnideskUrl: OMNIDESK.url,
    staffEmail: OMNIDESK.staffEmail,
    apiKeySet: true,
    apiKeyMasked: '••••cdef',
    tagsField: null,
    plays: null,
    intercomTokenSet: true,
    intercomTokenMasked: '••••cdef',
    intercomRegion: 'EU',
    createAttributes: true,
    unarchive: true,
    lang: 'en',
  });
  const store = world.PropertiesService.user.map;
  assert.equal(store.get('CL_INTERCOM_TOKEN'), INTERCOM.token, 'trimmed, in the user store');
  assert.equal(store.get('CL_TARGET_TOKEN'), TOKEN, "Chat2Desk's token is kept for going back");
  assert.ok(!store.get('CL_DEFAULTS').includes(INTERCOM.token), 'the token is not among the plain settings');

  // An empty token keeps the stored one; a checkbox sent unticked clears its consent; only true is consent.
  assert.equal(run('saveSettings', { intercomToken: '' }).intercomTokenSet, true);
  const unticked = run('saveSettings', { createAttributes: false, unarchive: 'yes' });
  assert.deepEqual([unticked.createAttributes, unticked.unarchive, unticked.intercomRegion], [false, false, 'EU']);
  const back = run('saveSettings', { target: 'chat2desk' });
  assert.deepEqual([back.target, back.intercomTokenSet, back.intercomRegion], ['chat2desk', true, 'EU']);
});

test('an Intercom region other than the US, Europe or Australia is refused in the spreadsheet language, and nothing is stored', () => {
  const { run } = addonWithBackend({ locale: 'ru_RU' });
  assert.deepEqual(run('saveSettings', { target: 'intercom', intercomToken: INTERCOM.token, intercomRegion: 'RU' }), {
    ok: false,
    error: 'Неизвестный регион Intercom «RU»: выберите США, Европу или Австралию.',
  });
  assert.deepEqual([run('getSettings').target, run('getSettings').intercomTokenSet], ['chat2desk', false]);
});

test("check connection with Intercom sends the token and the region's host in headers and answers the workspace's attributes, tags and rate", () => {
  const { run, backend } = intercom({ locale: 'en_US' }, { intercomRegion: 'AU' });
  assert.deepEqual(run('checkConnection'), {
    ok: true,
    target: 'intercom',
    host: 'api.au.intercom.io',
    attributes: [
      { name: 'job_title', type: 'string' },
      { name: 'plan', type: 'integer' },
      { name: 'telegram_id', type: 'string' },
    ],
    tags: ['vip', 'b2b', 'вебинар'],
    ratePerMinute: 10000,
  });
  assert.equal(backend.lastCatalogBaseUrl, 'https://api.au.intercom.io');
  // The region chosen on the page is tried without being stored, and so is a typed token.
  assert.equal(run('checkConnection', { target: 'intercom', intercomRegion: 'EU' }).host, 'api.eu.intercom.io');
  assert.equal(run('getSettings').intercomRegion, 'AU');
  assert.deepEqual(run('checkConnection', { target: 'intercom', intercomToken: 'ic-wrong-token-00000000' }), {
    ok: false,
    error: "Intercom did not accept the access token. Check it and the workspace's region in Settings (the token is in Intercom: Settings → Integrations → Developer Hub → your app → Authentication).",
  });
  assert.equal(run('getSettings').intercomTokenMasked, '••••cdef');
});

test('without a token Intercom asks for it, before any call, for a connection check and a job alike', () => {
  const { run, world } = addonWithBackend({ locale: 'ru_RU' });
  run('saveSettings', { target: 'intercom' });
  const words = { ok: false, error: 'Откройте «Настройки», выберите Intercom и вставьте токен доступа Intercom.' };
  assert.deepEqual(run('checkConnection'), words);
  assert.deepEqual(run('startJob', 'load', false), words);
  assert.equal(world.touched.fetch, 0);
});

test("startJob for Intercom sends the token, the region's host and both consents, and none of the other targets' settings", () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US' });
  // Chat2Desk's and Omnidesk's choices stay in the settings, but do not go to Intercom.
  run('saveSettings', { token: TOKEN, channel: 'Продажи', transport: 'telegram', emailChannel: '2', tags: ['vip'], region: 'KZ' });
  run('saveSettings', { target: 'omnidesk', omnideskUrl: OMNIDESK.url, staffEmail: OMNIDESK.staffEmail, apiKey: OMNIDESK.apiKey, tagsField: 'Теги' });
  run('saveSettings', { target: 'intercom', intercomToken: INTERCOM.token, intercomRegion: 'EU', createAttributes: true });
  assert.deepEqual(run('startJob', 'sample', false), { ok: true, jobId: 'job-1', state: 'queued', existing: false });
  assert.deepEqual(backend.jobs.get('job-1').request, {
    spreadsheet_id: '1SpreadsheetId',
    sheet: 'Sheet1',
    mode: 'sample',
    allow_paid: false,
    target: {
      kind: 'intercom', region: 'KZ', token: INTERCOM.token, base_url: 'https://api.eu.intercom.io', tags: [], create_attributes: true, unarchive: false,
    },
    sheets_token: world.oauthToken,
  });
  const status = run('jobStatus', 'job-1');
  assert.deepEqual([status.target, status.plannedSeconds, status.estimate], ['intercom', 1, null], 'no paid requests, the time at the rate');
});

test('INTERCOM_BASE_URL (a sandbox, a proxy) serves every region; a host the backend does not call is said in words', () => {
  const { run, world, backend } = intercom({ locale: 'ru_RU' });
  world.PropertiesService.getScriptProperties().setProperty('INTERCOM_BASE_URL', ' https://api.intercom.io ');
  run('checkConnection');
  assert.equal(backend.lastCatalogBaseUrl, 'https://api.intercom.io');
  world.PropertiesService.getScriptProperties().setProperty('INTERCOM_BASE_URL', 'https://intercom.example.com');
  const refused = {
    ok: false,
    error: 'https://intercom.example.com — не адрес API Intercom, и сервис загрузки к нему не обращается. Сообщите администратору (свойство скрипта INTERCOM_BASE_URL).',
  };
  assert.deepEqual(run('checkConnection'), refused);
  assert.deepEqual(run('startJob', 'load', false), refused);
  // Chat2Desk's TARGET_BASE_URL is Chat2Desk's alone.
  world.PropertiesService.getScriptProperties().deleteProperty('INTERCOM_BASE_URL');
  world.PropertiesService.getScriptProperties().setProperty('TARGET_BASE_URL', 'http://127.0.0.1:9');
  assert.equal(run('checkConnection').host, 'api.intercom.io');
});

test('attributes the workspace lacks: the job says which, and to create them or tick "Create missing attributes" — by its code, in both languages', () => {
  for (const [locale, words] of [
    ['en_US', 'Intercom has no attributes the list fills: job_title, telegram_id. Create them in Intercom (Settings → Data → People → Create attribute, type Text), or tick "Create missing attributes" in Settings.'],
    ['ru_RU', 'В Intercom нет атрибутов, которые заполняет список: job_title, telegram_id. Создайте их в Intercom (Settings → Data → People → Create attribute, тип Text) или отметьте «Создавать недостающие атрибуты» в «Настройках».'],
  ]) {
    const { run, backend } = intercom({ locale });
    backend.missingAttributes = ['job_title', 'telegram_id'];
    const job = run('startJob', 'load', false);
    const status = run('jobStatus', job.jobId);
    assert.equal(status.state, 'failed');
    assert.equal(status.error, words);
    assert.doesNotMatch(status.error, /--create-attributes/, 'no command-line flag for a marketer');
    // Ticked, the same sheet goes ahead.
    run('saveSettings', { createAttributes: true });
    const again = run('startJob', 'load', false);
    assert.equal(run('jobStatus', again.jobId).state, 'running');
  }
});

test('a reworded attributes_missing text gets the same advice without the names; attributes_full and a code of another target are told apart', () => {
  const { context } = addonWithBackend({ locale: 'en_US' }).addon;
  const sent = { kind: 'intercom' };
  assert.equal(
    context.clTargetErrorText_('en', 'reworded', 'attributes_missing', sent),
    'Intercom lacks attributes the list fills. Create them in Intercom (Settings → Data → People → Create attribute, type Text), or tick "Create missing attributes" in Settings.'
  );
  assert.match(
    context.clTargetErrorText_('ru', 'the list needs 3 new custom attributes and the workspace has 249 of the 250 Intercom allows: remove columns, or archive unused attributes', 'attributes_full', sent),
    /^Для списка нужно больше новых атрибутов, чем помещается в Intercom/
  );
  assert.equal(context.clTargetErrorText_('en', 'as the backend said', 'attributes_missing', { kind: 'omnidesk' }), 'as the backend said');
});

test('a refused token or key is known by its code, in the words of the target it was sent to', () => {
  const { context } = addonWithBackend({ locale: 'en_US' }).addon;
  const reworded = 'the target said no';
  assert.match(
    context.clTargetErrorText_('en', reworded, 'credentials_refused', { kind: 'intercom' }),
    /^Intercom did not accept the access token/
  );
  assert.match(
    context.clTargetErrorText_('ru', reworded, 'credentials_refused', { kind: 'omnidesk' }),
    /^Omnidesk не принял e-mail сотрудника и API-ключ/
  );
  // Chat2Desk's own text says it already ("the token is not accepted").
  assert.equal(context.clTargetErrorText_('en', reworded, 'credentials_refused', { kind: 'chat2desk' }), reworded);
});

test('a new contact sheet for Intercom: its columns, identifiers as typed, status colours, and a Tags dropdown of the workspace’s tags that takes new ones too', () => {
  for (const [locale, headers, sheetName, instructions, title, ready] of [
    ['ru_RU', RU_HEADERS, 'Контакты', 'Инструкция Intercom', 'Как загрузить контакты в Intercom', 'Лист «Контакты» готов'],
    ['en_US', EN_HEADERS, 'Contacts', 'Instructions Intercom', 'How to load contacts into Intercom', 'Sheet "Contacts" is ready'],
  ]) {
    const { run, world } = intercom({ locale });
    run('menuNewContactSheet');
    const sheet = world.spreadsheet.getSheetByName(sheetName);
    assert.deepEqual(sheet.getRange(1, 1, 1, headers.length).getValues()[0], headers);
    assert.equal(sheet.getLastColumn(), headers.length);
    assert.equal(sheet.getFrozenRows(), 1);
    for (const col of [1, 2, 3]) assert.equal(sheet.getRange(2, col).getNumberFormat(), '@', `column ${col} stays as typed`);
    const statusRanges = sheet.getConditionalFormatRules().flatMap((r) => r.getRanges().map((range) => range.getColumn()));
    assert.ok(statusRanges.length > 0 && statusRanges.every((col) => col === 9), 'the statuses are coloured in Status');
    const rule = sheet.getRange(2, 8).getDataValidation();
    assert.deepEqual(rule.getCriteriaValues(), [['vip', 'b2b', 'вебинар'], true]);
    assert.equal(rule.getAllowInvalid(), true, 'several tags, and tags Intercom will create, are no error');
    for (const col of [1, 2, 3, 4, 5, 6, 7, 9, 10]) assert.equal(sheet.getRange(2, col).getDataValidation(), null, `no list in column ${col}`);
    assert.ok(world.spreadsheet.toasts[0].message.startsWith(ready));
    const guide = world.spreadsheet.getSheetByName(instructions);
    assert.equal(guide.getRange(1, 1).getValue(), title);
    const text = guide.getDataRange().getValues().flat().join('\n');
    assert.match(text, /telegram_id/);
    assert.match(text, locale === 'ru_RU' ? /сразу получат их сообщения/ : /get their messages right away/);
    world.spreadsheet.setActiveSheet(guide);
    assert.match(run('startJob', 'load', false).error, new RegExp(`${instructions}.* (это отчёт или инструкция|is a report or the instructions)`));
  }
});

test('without an Intercom token the sheet comes without its dropdown, and the user is told why; Help speaks of Intercom', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US' });
  run('saveSettings', { target: 'intercom' });
  run('menuNewContactSheet');
  assert.equal(world.spreadsheet.getSheetByName('Contacts').getRange(2, 8).getDataValidation(), null);
  assert.match(world.ui.alerts[0].prompt, /without dropdowns: no Intercom access token is set in Settings yet\./);
  assert.equal(world.touched.fetch, 0);
  run('menuHelp');
  assert.match(world.ui.dialogs[0].output.getContent(), /<h3>How to load contacts into Intercom<\/h3>/);
  assert.doesNotMatch(world.ui.dialogs[0].output.getContent(), /Chat2Desk|Omnidesk/);
});

test('the Intercom token never appears in an answer, a log, a cell, a shared store or a page', () => {
  const { run, world, backend } = intercom({ locale: 'en_US' });
  const answers = [run('getSettings'), run('checkConnection'), run('checkConnection', { intercomToken: INTERCOM.token })];
  run('menuNewContactSheet');
  const started = run('startJob', 'load', false);
  answers.push(started, run('jobStatus', started.jobId), run('jobStatus', started.jobId));
  backend.down = true;
  answers.push(run('checkConnection'), run('startJob', 'check', false));
  assert.ok(world.logs.length > 0, 'failures were logged');
  for (const answer of answers) assert.ok(!JSON.stringify(answer).includes(INTERCOM.token), JSON.stringify(answer));
  for (const line of world.logs) assert.ok(!line.includes(INTERCOM.token), line);
  for (const store of [world.PropertiesService.document, world.PropertiesService.script]) {
    assert.ok(!JSON.stringify(Object.fromEntries(store.map)).includes(INTERCOM.token));
  }
  for (const sheet of world.spreadsheet.getSheets()) {
    assert.ok(!JSON.stringify(sheet.getDataRange().getValues()).includes(INTERCOM.token), sheet.getName());
  }
});
