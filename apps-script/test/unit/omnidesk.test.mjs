// The add-on with Omnidesk as its target: settings and their credentials, the connection
// check, the job it sends, the contact sheet, the texts that name the target, and the
// backend's Omnidesk errors in the user's words.
import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, dropdown, TOKEN } from '../support/unit.mjs';
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
    plays: null,
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

test("the account differences are stored as probe prints them and go as the job's plays; an unknown name is refused in words", () => {
  for (const [locale, words] of [
    ['en_US', '"notes-append" is not the name of an account difference. Correct "Account differences" in Settings: the names separated by commas, as the account\'s check printed them (contact-loader probe --target omnidesk), or clear the field.'],
    ['ru_RU', '«notes-append» — не название отличия аккаунта. Исправьте «Отличия аккаунта» в «Настройках»: впишите названия через запятую так, как их вывела проверка аккаунта (contact-loader probe --target omnidesk), или очистите поле.'],
  ]) {
    const { run, backend } = omnidesk({ locale }, { tagsField: 'Теги' });
    assert.equal(run('getSettings').plays, null, 'none unless set');
    assert.equal(run('saveSettings', { plays: ' Note-Appends , email-case-sensitive,, note-appends ' }).plays, 'note-appends,email-case-sensitive');
    const started = run('startJob', 'load', false);
    assert.equal(started.ok, true, JSON.stringify(started));
    assert.deepEqual(backend.jobs.get(started.jobId).request.target, {
      kind: 'omnidesk', base_url: OMNIDESK.url, staff_email: OMNIDESK.staffEmail, api_key: OMNIDESK.apiKey, tags: [], region: 'RU', tags_field: 'Теги', plays: 'note-appends,email-case-sensitive',
    });
    run('cancelJob', started.jobId);

    // The backend knows the names: one it does not is refused before the job, in the user's words.
    run('saveSettings', { plays: 'notes-append' });
    assert.deepEqual(run('startJob', 'load', false), { ok: false, error: words });
    // Another refusal of the request keeps the backend's words.
    backend.answerNext = { status: 400, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ error: 'Omnidesk settings: unknown field `colour`', code: 'invalid_request' }) };
    assert.deepEqual(run('startJob', 'load', false), { ok: false, error: 'Omnidesk settings: unknown field `colour`' });

    // Cleared: no plays at all, and none ever for another target.
    assert.equal(run('saveSettings', { plays: '' }).plays, null);
    const plain = run('startJob', 'load', false);
    assert.equal('plays' in backend.jobs.get(plain.jobId).request.target, false);
    run('cancelJob', plain.jobId);
    run('saveSettings', { plays: 'note-appends' });
    run('saveSettings', { target: 'chat2desk', token: TOKEN });
    const chat2desk = run('startJob', 'load', false);
    assert.equal('plays' in backend.jobs.get(chat2desk.jobId).request.target, false);
  }
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

/** The columns the sheet's status colours cover. */
function colouredColumns(sheet) {
  return [...new Set(sheet.getConditionalFormatRules().flatMap((r) => r.getRanges().map((range) => range.getColumn())))];
}

/** The sheet's header row, as far as it goes. */
function headerOf(sheet) {
  return sheet.getRange(1, 1, 1, sheet.getLastColumn()).getValues()[0];
}

/** A user data field as the backend's catalog lists it. */
function field(field_id, title, field_type, field_data = '', sheet_column = true) {
  return { field_id, title, field_type, field_level: 'user', active: true, field_data, sheet_column };
}

test("a new contact sheet for Omnidesk: phone, e-mail and messenger id as typed, then a column for each of the account's data fields before Status", () => {
  for (const [locale, headers, sheetName, instructions, title, ready] of [
    ['ru_RU', RU_HEADERS, 'Контакты', 'Инструкция Omnidesk', 'Как загрузить контакты в Omnidesk', 'Лист «Контакты» готов, со столбцами полей данных Omnidesk: Тариф, Заметки. Заполните его и выберите «Загрузить список».'],
    ['en_US', EN_HEADERS, 'Contacts', 'Instructions Omnidesk', 'How to load contacts into Omnidesk', 'Sheet "Contacts" is ready, with columns for the Omnidesk data fields Тариф, Заметки: fill it in, then choose "Process list".'],
  ]) {
    const { run, world, backend } = omnidesk({ locale });
    const fetches = world.touched.fetch;
    run('menuNewContactSheet');
    const sheet = world.spreadsheet.getSheetByName(sheetName);
    // "Теги" is a field of the account too, but a column of that title is the Tags column.
    assert.deepEqual(headerOf(sheet), [...headers.slice(0, 8), 'Тариф', 'Заметки', ...headers.slice(8)]);
    assert.equal(sheet.getRange('A1').getFontWeight(), 'bold');
    assert.equal(sheet.getRange('J1').getFontWeight(), 'bold');
    assert.equal(sheet.getFrozenRows(), 1);
    assert.equal(world.touched.fetch, fetches + 1, 'one catalog call');
    assert.equal(backend.lastCatalogBaseUrl, OMNIDESK.url);
    for (const col of [1, 2, 3]) assert.equal(sheet.getRange(2, col).getNumberFormat(), '@', `column ${col} stays as typed`);
    sheet.getRange('A2:C2').setValues([['+7 999 123-45-67', 'anna@mail.ru', 'telegram|123456789']]);
    assert.deepEqual(sheet.getRange('A2:C2').getValues(), [['+7 999 123-45-67', 'anna@mail.ru', 'telegram|123456789']]);

    // The select lists its options' titles and takes nothing else; the textarea is text as typed.
    const help = locale === 'ru_RU' ? 'Выберите вариант поля данных «Тариф» Omnidesk.' : 'Pick an option of the Omnidesk data field "Тариф".';
    assert.deepEqual(dropdown(sheet, 9), { items: ['Базовый', 'Про'], allowInvalid: false, help });
    assert.deepEqual(dropdown(sheet, 9, sheet.getMaxRows()), dropdown(sheet, 9), 'down to the last row');
    assert.equal(sheet.getRange(1, 9).getDataValidation(), null, 'not on the header');
    assert.equal(sheet.getRange(2, 10).getNumberFormat(), '@');
    sheet.getRange('J2').setValues([['007']]);
    assert.equal(sheet.getRange('J2').getValue(), '007', 'a text field keeps what was typed');
    for (let col = 1; col <= 12; col++) {
      if (col !== 9) assert.equal(sheet.getRange(2, col).getDataValidation(), null, `no list in column ${col}`);
    }
    // Status and Client ID moved right by the two fields: the colours follow Status.
    assert.deepEqual(colouredColumns(sheet), [11]);
    assert.equal(sheet.getRange('K1').getValue(), headers[8]);
    assert.equal(sheet.getColumnWidth(11), 300, 'Status keeps its width');
    assert.equal(sheet.getColumnWidth(9), 160);

    assert.deepEqual(world.spreadsheet.toasts.map((t) => t.message), [ready]);
    assert.equal(world.ui.alerts.length, 0);
    const guide = world.spreadsheet.getSheetByName(instructions);
    assert.equal(guide.getRange(1, 1).getValue(), title);
    const guideText = guide.getDataRange().getValues().flat().join('\n');
    assert.match(guideText, /telegram\|123456789/);
    assert.match(guideText, locale === 'ru_RU' ? /Столбцы после «Теги» — поля данных клиента.*точно как оно/ : /The columns after Tags are your Omnidesk's client data fields.*titled exactly as the field/);
    assert.match(guideText, locale === 'ru_RU' ? /снова выбрать «Новый лист контактов»; или добавьте столбец/ : /"New contact sheet" again; or add the column/);

    // The instructions and a report are not lists: Process list there says so.
    world.spreadsheet.setActiveSheet(guide);
    assert.match(run('startJob', 'load', false).error, new RegExp(`${instructions}.* (это отчёт или инструкция|is a report or the instructions)`));
  }
});

test('the data field the settings chose for the tags has no column of its own; each title once, compared as the backend compares them', () => {
  const { run, world, backend } = omnidesk({ locale: 'ru_RU' }, { tagsField: ' заметки ' });
  backend.omnidesk.catalog.fields.push(field(6, 'тариф', 'text'), field(7, '+ доп. телефон', 'text'), field(8, '  ', 'text'));
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Контакты');
  // "+ доп. телефон" stays text: typed into a cell of no format, Sheets would take it for a formula.
  assert.deepEqual(headerOf(sheet), [...RU_HEADERS.slice(0, 8), 'Тариф', '+ доп. телефон', ...RU_HEADERS.slice(8)]);
  assert.deepEqual(dropdown(sheet, 9).items, ['Базовый', 'Про'], 'the first of the two: the one the backend fills');
  assert.deepEqual(colouredColumns(sheet), [11]);
});

test("a checkbox is a dropdown of the sheet language's yes and no; a date is text as typed; a select of more than 500 options lists the first 500 and lets others be typed", () => {
  const many = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [String(i + 1), `Город ${i + 1}`]));
  for (const [locale, words, checkboxHelp] of [
    ['ru_RU', ['да', 'нет'], 'Флажок «Рассылка» Omnidesk: «да» — отметить, «нет» — снять. Пустая ячейка оставит его как есть.'],
    ['en_US', ['yes', 'no'], 'The Omnidesk checkbox "Рассылка": "yes" ticks it, "no" clears it. An empty cell leaves it as it is.'],
  ]) {
    const { run, world, backend } = omnidesk({ locale }, { tagsField: 'Теги' });
    backend.omnidesk.catalog.fields = [field(1, 'Теги', 'text', '', false), field(3, 'Рассылка', 'checkbox'), field(4, 'День рождения', 'date'), field(9, 'Город', 'select', many)];
    run('menuNewContactSheet');
    const sheet = world.spreadsheet.getActiveSheet();
    assert.deepEqual(headerOf(sheet).slice(7, 11), [locale === 'ru_RU' ? 'Теги' : 'Tags', 'Рассылка', 'День рождения', 'Город']);
    assert.deepEqual(dropdown(sheet, 9), { items: words, allowInvalid: false, help: checkboxHelp });
    assert.equal(dropdown(sheet, 10), null);
    assert.equal(sheet.getRange(2, 10).getNumberFormat(), '@');
    sheet.getRange('J2').setValues([['2026-03-01']]);
    assert.equal(sheet.getRange('J2').getValue(), '2026-03-01', 'not a date in the spreadsheet’s own format');
    const city = dropdown(sheet, 11);
    assert.equal(city.items.length, 500);
    assert.deepEqual([city.items[0], city.items[499]], ['Город 1', 'Город 500']);
    assert.equal(city.allowInvalid, true, 'options past the 500th are typed');
    assert.match(city.help, locale === 'ru_RU' ? /первые 500 вариантов поля данных «Город»/ : /the first 500 options of the data field "Город"/);
    assert.deepEqual(colouredColumns(sheet), [12]);
  }
});

test('an account whose only data field is the tags one gets the fixed columns, and a plain ready message', () => {
  const { run, world, backend } = omnidesk({ locale: 'en_US' }, { tagsField: 'Теги' });
  backend.omnidesk.catalog.fields = [field(1, 'Теги', 'text', '', false)];
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Contacts');
  assert.deepEqual(headerOf(sheet), EN_HEADERS);
  assert.deepEqual(colouredColumns(sheet), [9]);
  assert.deepEqual(world.spreadsheet.toasts.map((t) => t.message), ['Sheet "Contacts" is ready: fill it in, then choose "Process list".']);
});

test('without Omnidesk credentials, or when the catalog cannot be read, the sheet has the fixed columns and the user is told why', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'ru_RU' });
  run('saveSettings', { target: 'omnidesk', omnideskUrl: OMNIDESK.url, staffEmail: OMNIDESK.staffEmail });
  const fetches = world.touched.fetch;
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Контакты');
  assert.deepEqual(headerOf(sheet), RU_HEADERS);
  assert.deepEqual(colouredColumns(sheet), [9]);
  assert.equal(world.touched.fetch, fetches, 'no call without the API key');
  assert.deepEqual(world.ui.alerts.map((a) => a.prompt), [
    'Лист «Контакты» готов, но без столбцов полей данных Omnidesk: адрес аккаунта, e-mail сотрудника или API-ключ Omnidesk ещё не указаны в настройках. ' +
      'Когда подключение заработает, создайте новый лист — столбцы появятся. Или добавьте столбец сами, назвав его точно как поле данных.',
  ]);
  assert.equal(backend.jobs.size, 0);

  run('saveSettings', { apiKey: OMNIDESK.apiKey });
  backend.down = true;
  run('menuNewContactSheet');
  assert.deepEqual(headerOf(world.spreadsheet.getSheetByName('Контакты 2')), RU_HEADERS);
  assert.match(world.ui.alerts[1].prompt, /^Лист «Контакты 2» готов, но без столбцов полей данных Omnidesk: не удалось получить поля данных из Omnidesk \(Сервис загрузки недоступен/);

  backend.down = false;
  run('saveSettings', { apiKey: 'omni-wrong-key-000000' });
  run('menuNewContactSheet');
  assert.match(world.ui.alerts[2].prompt, /«Контакты 3» готов, но без столбцов полей данных Omnidesk: не удалось получить поля данных из Omnidesk \(Omnidesk не принял e-mail сотрудника и API-ключ/);
  assert.equal(world.spreadsheet.toasts.length, 0);
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

test('columns no data field has are named in the sheet language by their code; a reworded text gets the advice alone', () => {
  const { context } = addonWithBackend({ locale: 'ru_RU' }).addon;
  const sent = { kind: 'omnidesk' };
  // src/targets/omnidesk/rules.rs unknown_columns, as the backend says it.
  const said =
    'the list has columns Omnidesk has no user data field for: Источник, Номер заказа. Create each in Omnidesk ' +
    '(Settings → Data fields, level “user”) under the column\'s title, or remove the column; the account\'s fields: Тариф';
  assert.equal(
    context.clTargetErrorText_('ru', said, 'columns_unknown', sent),
    context.clText_('ru', 'columnsUnknown', { columns: 'Источник, Номер заказа' })
  );
  assert.match(context.clTargetErrorText_('ru', said, 'columns_unknown', sent), /^В листе есть столбцы.*Источник, Номер заказа/);
  assert.equal(
    context.clTargetErrorText_('en', 'reworded', 'columns_unknown', sent),
    context.clText_('en', 'columnsUnknownUnnamed')
  );
  // An older backend without the code: known by the text.
  assert.equal(
    context.clTargetErrorText_('en', said, null, sent),
    context.clText_('en', 'columnsUnknown', { columns: 'Источник, Номер заказа' })
  );
});
