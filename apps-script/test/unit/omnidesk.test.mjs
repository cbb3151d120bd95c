// The add-on with Omnidesk as its target: settings and their credentials, the connection
// check, the job it sends, the contact sheet, the texts that name the target, and the
// backend's Omnidesk errors in the user's words.
import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, TOKEN } from '../support/unit.mjs';
import { OMNIDESK } from '../support/fake-backend.mjs';

const RU_HEADERS = ['Телефон', 'Эл. почта', 'ID мессенджера', 'Имя', 'Компания', 'Должность', 'Комментарий', 'Теги', 'Статус', 'ID клиента'];
const EN_HEADERS = ['Phone', 'E-mail', 'Messenger ID', 'Name', 'Company', 'Position', 'Comment', 'Tags', 'Status', 'Client ID'];

/** The add-on set up for Omnidesk as a user would leave it after Settings. */
function omnidesk(options = {}, settings = {}) {
  const rig = addonWithBackend(options);
  const saved = rig.run('saveSettings', {
    target: 'omnidesk', omnideskUrl: OMNIDESK.url, staffEmail: OMNIDESK.staffEmail, apiKey: OMNIDESK.apiKey, ...settings,
  });
  assert.equal(saved.ok, true, JSON.stringify(saved));
  return rig;
}

test('Omnidesk settings: the address as pasted becomes the account origin; the API key is stored apart and shown masked', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const saved = run('saveSettings', {
    target: 'omnidesk', omnideskUrl: ' https://Romashka.omnidesk.ru/staff/cases/list ', staffEmail: ' staff@romashka.ru ', apiKey: ` ${OMNIDESK.apiKey} `, tagsField: ' Теги ',
  });
  assert.deepEqual(saved, {
    ok: true,
    target: 'omnidesk',
    tokenSet: true,
    tokenMasked: '••••cdef',
    channel: null,
    transport: null,
    emailChannel: null,
    tags: [],
    region: 'RU',
    omnideskUrl: 'https://romashka.omnidesk.ru',
    staffEmail: 'staff@romashka.ru',
    apiKeySet: true,
    apiKeyMasked: '••••cdef',
    tagsField: 'Теги',
    intercomTokenSet: false,
    intercomTokenMasked: '',
    intercomRegion: 'US',
    createAttributes: false,
    unarchive: false,
    lang: 'en',
  });
  const store = world.PropertiesService.user.map;
  assert.equal(store.get('CL_OMNIDESK_API_KEY'), OMNIDESK.apiKey);
  assert.equal(store.get('CL_TARGET_TOKEN'), TOKEN, "Chat2Desk's token is kept for going back");
  assert.ok(!store.get('CL_DEFAULTS').includes(OMNIDESK.apiKey), 'the key is not among the plain settings');

  // The account's name alone, or its host, is enough.
  assert.equal(run('saveSettings', { omnideskUrl: 'romashka' }).omnideskUrl, 'https://romashka.omnidesk.ru');
  assert.equal(run('saveSettings', { omnideskUrl: 'romashka.omnidesk.pro/' }).omnideskUrl, 'https://romashka.omnidesk.pro');
  // An empty key keeps the stored one; switching back keeps everything Omnidesk's.
  assert.equal(run('saveSettings', { apiKey: '' }).apiKeySet, true);
  const back = run('saveSettings', { target: 'chat2desk' });
  assert.deepEqual([back.target, back.omnideskUrl, back.apiKeySet, back.tagsField], ['chat2desk', 'https://romashka.omnidesk.pro', true, 'Теги']);
  assert.equal(run('saveSettings', { target: 'omnidesk', tagsField: null }).tagsField, null, 'null clears the tags field');
});

test('Omnidesk settings refuse what cannot be an address, an e-mail or a target, in the spreadsheet language, and store nothing', () => {
  const { run } = addonWithBackend({ locale: 'ru_RU' });
  assert.deepEqual(run('saveSettings', { target: 'omnidesk', omnideskUrl: 'мой аккаунт' }), {
    ok: false,
    error: '«мой аккаунт» — не адрес аккаунта Omnidesk. Укажите адрес, по которому вы открываете Omnidesk, например https://company.omnidesk.ru.',
  });
  assert.deepEqual(run('saveSettings', { target: 'omnidesk', staffEmail: 'staff' }), {
    ok: false,
    error: '«staff» — не адрес почты. Укажите e-mail, с которым вы входите в Omnidesk.',
  });
  assert.deepEqual(run('saveSettings', { target: 'bitrix' }), { ok: false, error: 'Неизвестная система «bitrix»: выберите Chat2Desk, Omnidesk или Intercom.' });
  assert.equal(run('getSettings').target, 'chat2desk');
});

test('check connection with Omnidesk sends its credentials and address in headers and answers its data fields, users and rate', () => {
  const { run, backend } = omnidesk({ locale: 'en_US' });
  assert.deepEqual(run('checkConnection'), {
    ok: true,
    target: 'omnidesk',
    accountUrl: OMNIDESK.url,
    users: 1200,
    ratePerMinute: 5,
    fields: [
      { id: 1, title: 'Теги', type: 'text' },
      { id: 2, title: 'Тариф', type: 'select' },
      { id: 5, title: 'Заметки', type: 'textarea' },
    ],
  });
  assert.equal(backend.lastCatalogBaseUrl, OMNIDESK.url);
  // What the page typed is tried without being stored.
  assert.deepEqual(run('checkConnection', { target: 'omnidesk', apiKey: 'omni-wrong-key-000000' }), {
    ok: false,
    error: 'Omnidesk did not accept the staff e-mail and API key. Check them in Settings (the API key is in Omnidesk: Settings → API).',
  });
  assert.equal(run('getSettings').apiKeyMasked, '••••cdef');
  // Chat2Desk's may be checked while Omnidesk is the target (the page switches before saving).
  assert.equal(run('checkConnection', { target: 'chat2desk', token: TOKEN }).companyName, 'ООО Ромашка');
});

test('check connection says what is missing for Omnidesk, and a host that is no Omnidesk account in words', () => {
  const { run } = addonWithBackend({ locale: 'ru_RU' });
  run('saveSettings', { target: 'omnidesk', staffEmail: OMNIDESK.staffEmail });
  assert.deepEqual(run('checkConnection'), {
    ok: false,
    error: 'Откройте «Настройки», выберите Omnidesk и укажите адрес аккаунта, e-mail сотрудника и API-ключ.',
  });
  assert.deepEqual(run('startJob', 'load', false), run('checkConnection'), 'the same words before a job');
  const answer = run('checkConnection', { omnideskUrl: 'https://help.example.com', apiKey: OMNIDESK.apiKey });
  assert.deepEqual(answer, {
    ok: false,
    error: 'https://help.example.com — не адрес аккаунта Omnidesk (https://АККАУНТ.omnidesk.ru или .omnidesk.pro). Исправьте адрес в «Настройках».',
  });
});

test("startJob for Omnidesk sends its credentials, the account's address and the tags field, and none of Chat2Desk's settings", () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US' });
  // Chat2Desk's choices made earlier stay in the settings, but do not go to Omnidesk.
  run('saveSettings', { token: TOKEN, channel: 'Продажи', transport: 'telegram', emailChannel: '2', tags: ['vip'], region: 'KZ' });
  run('saveSettings', { target: 'omnidesk', omnideskUrl: OMNIDESK.url, staffEmail: OMNIDESK.staffEmail, apiKey: OMNIDESK.apiKey, tagsField: 'Теги' });
  const started = run('startJob', 'load', false);
  assert.deepEqual(started, { ok: true, jobId: 'job-1', state: 'queued', existing: false });
  assert.deepEqual(backend.jobs.get('job-1').request, {
    spreadsheet_id: '1SpreadsheetId',
    sheet: 'Sheet1',
    mode: 'load',
    allow_paid: false,
    target: {
      kind: 'omnidesk', base_url: OMNIDESK.url, staff_email: OMNIDESK.staffEmail, api_key: OMNIDESK.apiKey, tags: [], region: 'KZ', tags_field: 'Теги',
    },
    sheets_token: world.oauthToken,
  });
  // And back to Chat2Desk: none of Omnidesk's.
  run('saveSettings', { target: 'chat2desk' });
  run('cancelJob', 'job-1');
  run('startJob', 'load', false);
  assert.deepEqual(backend.jobs.get('job-2').request.target, {
    kind: 'chat2desk', token: TOKEN, tags: ['vip'], region: 'KZ', channel: 'Продажи', transport: 'telegram', email_channel: '2',
  });
});

test('an Omnidesk job tells the target, the requests it plans and how long they take at the account’s rate', () => {
  const { run, backend } = omnidesk({ locale: 'en_US' }, { tagsField: 'Теги' });
  backend.plannedRequests = 3000;
  const job = run('startJob', 'load', false);
  const running = run('jobStatus', job.jobId);
  assert.equal(running.target, 'omnidesk');
  assert.equal(running.plannedRequests, 3000);
  assert.equal(running.plannedSeconds, 36000, '3,000 requests at 5 a minute: ten hours');
  // The job's own target, even when the settings change while it runs.
  run('saveSettings', { target: 'chat2desk' });
  assert.equal(run('jobStatus', job.jobId).target, 'omnidesk');
});

test("a list with tags and no tags field: the job's error says, in words, to choose the Tags field in Settings (by its code, or an older backend's text)", () => {
  for (const [lang, locale, words, codes] of [
    ['en', 'en_US', /^The list has tags, and Omnidesk users have no tags: they go into a user data field\. Open Settings and choose the "Tags field"/, true],
    ['ru', 'ru_RU', /^В списке есть теги, а у клиентов Omnidesk тегов нет: они записываются в поле данных клиента\. Откройте «Настройки» и выберите «Поле для тегов»/, true],
    ['en', 'en_US', /^The list has tags, and Omnidesk users have no tags/, false],
  ]) {
    const { run, backend } = omnidesk({ locale });
    backend.sheetHasTags = true;
    backend.codes = codes;
    const job = run('startJob', 'load', false);
    const status = run('jobStatus', job.jobId);
    assert.equal(status.state, 'failed', lang);
    assert.match(status.error, words);
    assert.doesNotMatch(status.error, /--tags-field/, 'no command-line flag for a marketer');
  }
});

test('a tags field the account lacks: the job says so in words, with the field the add-on sent, whatever the text', () => {
  const { run, backend } = omnidesk({ locale: 'ru_RU' }, { tagsField: 'Метки' });
  const job = run('startJob', 'load', false);
  assert.equal(
    run('jobStatus', job.jobId).error,
    'В Omnidesk нет поля данных клиента «Метки» для тегов. Выберите другое «Поле для тегов» в «Настройках» (в списке — текстовые поля аккаунта) или создайте его в Omnidesk (уровень «пользователь», тип «текст»).'
  );
  // By the code alone: the backend may reword its text.
  backend.jobs.get(job.jobId).error = 'reworded';
  assert.match(run('jobStatus', job.jobId).error, /^В Omnidesk нет поля данных клиента «Метки» для тегов\./);
});

test('a code limited to a target, or one the add-on has no words for, comes as the backend wrote it', () => {
  const { context } = addonWithBackend({ locale: 'en_US' }).addon;
  const refused = "`https://x.example` is not a Chat2Desk address";
  assert.equal(context.clTargetErrorText_('en', refused, 'base_url_not_allowed', { kind: 'chat2desk' }), refused);
  assert.equal(context.clTargetErrorText_('en', 'the sheet has no header row', 'settings', { kind: 'omnidesk' }), 'the sheet has no header row');
});

test('the other Omnidesk tags-field errors of an older backend (no code) come in words; a text the add-on does not know comes as the backend wrote it', () => {
  const { context } = addonWithBackend({ locale: 'en_US' }).addon;
  assert.equal(
    context.clTargetErrorText_('ru', 'Omnidesk has no user data field “Метки” for the tags; it has: Теги, Тариф. Create one (Settings → Data fields, level “user”, type text), then run again'),
    'В Omnidesk нет поля данных клиента «Метки» для тегов. Выберите другое «Поле для тегов» в «Настройках» (в списке — текстовые поля аккаунта) или создайте его в Omnidesk (уровень «пользователь», тип «текст»).'
  );
  assert.equal(
    context.clTargetErrorText_('en', 'the data field “Тариф” is not a text field: tags need a text or textarea field'),
    'The data field "Тариф" is not a text field in Omnidesk, and tags go only into a text field. Choose another "Tags field" in Settings.'
  );
  assert.equal(context.clTargetErrorText_('en', 'the sheet has no header row'), 'the sheet has no header row');
});

test('a new contact sheet for Omnidesk: phone, e-mail and messenger id columns as typed, company and position, status colours, no catalog call', () => {
  for (const [locale, headers, sheetName, instructions, title] of [
    ['ru_RU', RU_HEADERS, 'Контакты', 'Инструкция Omnidesk', 'Как загрузить контакты в Omnidesk'],
    ['en_US', EN_HEADERS, 'Contacts', 'Instructions Omnidesk', 'How to load contacts into Omnidesk'],
  ]) {
    const { run, world } = omnidesk({ locale });
    const fetches = world.touched.fetch;
    run('menuNewContactSheet');
    const sheet = world.spreadsheet.getSheetByName(sheetName);
    assert.deepEqual(sheet.getRange(1, 1, 1, headers.length).getValues()[0], headers);
    assert.equal(sheet.getLastColumn(), headers.length);
    assert.equal(sheet.getFrozenRows(), 1);
    for (const col of [1, 2, 3]) assert.equal(sheet.getRange(2, col).getNumberFormat(), '@', `column ${col} stays as typed`);
    sheet.getRange('A2:C2').setValues([['+7 999 123-45-67', 'anna@mail.ru', 'telegram|123456789']]);
    assert.deepEqual(sheet.getRange('A2:C2').getValues(), [['+7 999 123-45-67', 'anna@mail.ru', 'telegram|123456789']]);
    const statusRanges = sheet.getConditionalFormatRules().flatMap((r) => r.getRanges().map((range) => range.getColumn()));
    assert.ok(statusRanges.length > 0 && statusRanges.every((col) => col === 9), 'the statuses are coloured in Status');
    for (let col = 1; col <= headers.length; col++) assert.equal(sheet.getRange(2, col).getDataValidation(), null, 'Omnidesk has no lists to offer');
    assert.equal(world.touched.fetch, fetches, 'no catalog call');
    assert.equal(world.spreadsheet.toasts.length, 1, 'ready, without a dialog');
    const guide = world.spreadsheet.getSheetByName(instructions);
    assert.equal(guide.getRange(1, 1).getValue(), title);
    assert.match(guide.getDataRange().getValues().flat().join('\n'), /telegram\|123456789/);

    // The instructions and a report are not lists: Process list there says so.
    world.spreadsheet.setActiveSheet(guide);
    assert.match(run('startJob', 'load', false).error, new RegExp(`${instructions}.* (это отчёт или инструкция|is a report or the instructions)`));
  }
});

test('Help speaks of the target of the settings', () => {
  const { run, world } = omnidesk({ locale: 'en_US' });
  run('menuHelp');
  assert.match(world.ui.dialogs[0].output.getContent(), /<h3>How to load contacts into Omnidesk<\/h3>/);
  assert.doesNotMatch(world.ui.dialogs[0].output.getContent(), /Chat2Desk/);
});

test('the Omnidesk API key never appears in an answer, a log, a cell, a shared store or a page', () => {
  const { run, world, backend } = omnidesk({ locale: 'en_US' });
  const answers = [run('getSettings'), run('checkConnection'), run('checkConnection', { apiKey: OMNIDESK.apiKey })];
  run('menuNewContactSheet');
  const started = run('startJob', 'load', false);
  answers.push(started, run('jobStatus', started.jobId), run('jobStatus', started.jobId));
  backend.down = true;
  answers.push(run('checkConnection'), run('startJob', 'check', false));
  assert.ok(world.logs.length > 0, 'failures were logged');
  for (const answer of answers) assert.ok(!JSON.stringify(answer).includes(OMNIDESK.apiKey), JSON.stringify(answer));
  for (const line of world.logs) assert.ok(!line.includes(OMNIDESK.apiKey), line);
  for (const store of [world.PropertiesService.document, world.PropertiesService.script]) {
    assert.ok(!JSON.stringify(Object.fromEntries(store.map)).includes(OMNIDESK.apiKey));
  }
  for (const sheet of world.spreadsheet.getSheets()) {
    assert.ok(!JSON.stringify(sheet.getDataRange().getValues()).includes(OMNIDESK.apiKey), sheet.getName());
  }
});
