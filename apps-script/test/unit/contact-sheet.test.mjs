import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, dropdown as validation, TOKEN } from '../support/unit.mjs';

const RU_HEADERS = ['Контакт', 'Имя', 'Комментарий', 'Теги', 'Канал', 'Мессенджер', 'Статус', 'ID клиента'];
const EN_HEADERS = ['Contact', 'Name', 'Comment', 'Tags', 'Channel', 'Messenger', 'Status', 'Client ID'];

/** The dropdown's items and whether other text is allowed, for column `col` of data row `row`. */
function dropdown(sheet, col, row = 2) {
  const shown = validation(sheet, col, row);
  return shown && { items: shown.items, allowInvalid: shown.allowInvalid };
}

/** The background a status text gets from the sheet's conditional format rules, at `a1`. */
function colourOf(sheet, a1, status) {
  const cell = sheet.getRange(a1);
  const rule = sheet.getConditionalFormatRules().find((r) => {
    const covers = r.getRanges().some((range) => range.getSheet() === sheet && range.getColumn() === cell.getColumn() && range.getRow() <= cell.getRow() && cell.getRow() < range.getRow() + range.getNumRows());
    const condition = r.getBooleanCondition();
    return covers && condition.getCriteriaType() === 'TEXT_STARTS_WITH' && status.startsWith(condition.getCriteriaValues()[0]);
  });
  return rule ? rule.getBooleanCondition().getBackground() : null;
}

test('a new contact sheet in a Russian spreadsheet: headers, frozen row, plain-text contacts, dropdowns from the catalog', () => {
  const { run, world } = addonWithBackend({ locale: 'ru_RU', token: TOKEN });
  const answer = run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Контакты');
  assert.ok(sheet, 'the sheet is named in Russian');
  assert.equal(world.spreadsheet.getActiveSheet(), sheet, 'and is the active sheet');
  assert.deepEqual(sheet.getRange(1, 1, 1, 8).getValues()[0], RU_HEADERS);
  assert.equal(sheet.getRange('A1').getFontWeight(), 'bold');
  assert.equal(sheet.getFrozenRows(), 1);

  // What people type into Contact stays as typed: "+7 …" is no formula.
  assert.equal(sheet.getRange('A2').getNumberFormat(), '@');
  assert.equal(sheet.getRange(sheet.getMaxRows(), 1).getNumberFormat(), '@', 'down to the last row');
  sheet.getRange('A2:B2').setValues([['+7 999 123-45-67', '+7 999 123-45-67']]);
  assert.deepEqual(sheet.getRange('A2:B2').getValues(), [['+7 999 123-45-67', '#ERROR!']]);

  assert.deepEqual(dropdown(sheet, 4), { items: ['vip', 'вебинар'], allowInvalid: true }, 'several tags per cell are allowed');
  assert.deepEqual(dropdown(sheet, 5), { items: ['Продажи', 'Поддержка'], allowInvalid: false });
  assert.deepEqual(dropdown(sheet, 6, 999), { items: ['whatsapp', 'telegram', 'viber'], allowInvalid: false }, "the channels' messengers");
  assert.equal(dropdown(sheet, 1), null);
  assert.equal(sheet.getRange(1, 4).getDataValidation(), null, 'not on the header');

  assert.equal(answer, undefined);
  assert.deepEqual(world.spreadsheet.toasts.map((t) => t.message), ['Лист «Контакты» готов: заполните его и выберите «Загрузить список».']);
  assert.equal(world.ui.alerts.length, 0);
});

test('status colours: green done, grey merged or unchanged, red error, amber pending — in both languages', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Contacts');
  const green = '#d9ead3';
  const grey = '#efefef';
  const red = '#f4cccc';
  const amber = '#fff2cc';
  const expected = {
    Created: green,
    Updated: green,
    'Ready to load': green,
    'Создан': green,
    'Обновлён; внимание: тег не найден': green,
    'Готово к загрузке': green,
    'Merged with row 5': grey,
    Unchanged: grey,
    Skipped: grey,
    'Объединено со строкой 5': grey,
    'Без изменений': grey,
    'Пропущено': grey,
    'Error: the number has letters': red,
    'Not loaded: channel not found': red,
    'Ошибка: в номере есть буквы': red,
    'Не загружено: Too many requests': red,
    'Pending: the request cap — run the load again': amber,
    'Ожидает следующего запуска': amber,
  };
  for (const [status, colour] of Object.entries(expected)) {
    assert.equal(colourOf(sheet, 'G2', status), colour, status);
  }
  assert.equal(colourOf(sheet, 'G1000', 'Created'), green, 'to the last row');
  assert.equal(colourOf(sheet, 'G1', 'Created'), null, 'not the header');
  assert.equal(colourOf(sheet, 'F2', 'Created'), null, 'only the Status column');
});

test('an English spreadsheet gets English headers and an English Instructions sheet', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Contacts');
  assert.deepEqual(sheet.getRange(1, 1, 1, 8).getValues()[0], EN_HEADERS);
  const instructions = world.spreadsheet.getSheetByName('Instructions');
  assert.ok(instructions);
  const text = instructions.getDataRange().getValues().map((row) => row[0]).join('\n');
  assert.match(text, /^How to load contacts into Chat2Desk/);
  assert.match(text, /Settings/);
  assert.match(text, /Check list/);
  assert.doesNotMatch(text, /[а-яё]/i);
});

test('the Russian Instructions sheet is in Russian, in plain words', () => {
  const { run, world } = addonWithBackend({ locale: 'ru', token: TOKEN });
  run('menuNewContactSheet');
  const instructions = world.spreadsheet.getSheetByName('Инструкция');
  const lines = instructions.getDataRange().getValues().map((row) => row[0]);
  assert.equal(lines[0], 'Как загрузить контакты в Chat2Desk');
  assert.ok(lines.some((line) => line.includes('API-токен Chat2Desk')));
  assert.ok(lines.every((line) => !/#ERROR!/.test(line)), 'no line was taken for a formula');
});

test('a second new contact sheet takes a free name and leaves the first, and the Instructions, as they were', () => {
  const { run, world } = addonWithBackend({ locale: 'ru_RU', token: TOKEN });
  run('menuNewContactSheet');
  const first = world.spreadsheet.getSheetByName('Контакты');
  first.getRange('A2:B2').setValues([['+7 999 123-45-67', 'Анна']]);
  const instructions = world.spreadsheet.getSheetByName('Инструкция');
  instructions.getRange('B1').setValues([['моя заметка']]);

  run('menuNewContactSheet');
  run('menuNewContactSheet');
  assert.deepEqual(
    world.spreadsheet.getSheets().map((s) => s.getName()),
    ['Sheet1', 'Инструкция', 'Контакты', 'Контакты 2', 'Контакты 3']
  );
  assert.deepEqual(first.getRange('A2:B2').getValues(), [['+7 999 123-45-67', 'Анна']]);
  assert.equal(instructions.getRange('B1').getValue(), 'моя заметка');
  assert.equal(world.spreadsheet.getActiveSheet().getName(), 'Контакты 3');
});

test('without a token the sheet is made without dropdowns, and the user is told why', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'ru_RU' });
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Контакты');
  assert.deepEqual(sheet.getRange(1, 1, 1, 8).getValues()[0], RU_HEADERS);
  assert.equal(sheet.getRange('A2').getNumberFormat(), '@');
  assert.equal(sheet.getConditionalFormatRules().length > 0, true);
  for (const col of [4, 5, 6]) assert.equal(dropdown(sheet, col), null);
  assert.equal(world.ui.alerts.length, 1);
  assert.match(world.ui.alerts[0].prompt, /без выпадающих списков: токен Chat2Desk ещё не указан/);
  assert.equal(world.touched.fetch, 0, 'no call without a token');
  assert.equal(backend.jobs.size, 0);
});

test('when the catalog call fails the sheet is made without dropdowns, with the reason', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  backend.down = true;
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Contacts');
  assert.ok(sheet);
  for (const col of [4, 5, 6]) assert.equal(dropdown(sheet, col), null);
  assert.match(world.ui.alerts[0].prompt, /without dropdowns: the channels and tags could not be read from Chat2Desk \(The loading service is not reachable/);

  backend.down = false;
  backend.answerNext = { status: 422, body: JSON.stringify({ error: 'Chat2Desk: the token is not correct' }) };
  run('menuNewContactSheet');
  assert.match(world.ui.alerts[1].prompt, /"Contacts 2" is ready, but without dropdowns: .*\(Chat2Desk: the token is not correct\)/);
});

test('an account without tags gets the other dropdowns; messengers fall back to the catalog list', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  backend.catalog.tags = [];
  backend.catalog.channels = [{ id: 1, name: 'Sales', transports: [] }];
  backend.catalog.transports = ['whatsapp', 'telegram'];
  run('menuNewContactSheet');
  const sheet = world.spreadsheet.getSheetByName('Contacts');
  assert.equal(dropdown(sheet, 4), null);
  assert.deepEqual(dropdown(sheet, 5).items, ['Sales']);
  assert.deepEqual(dropdown(sheet, 6).items, ['whatsapp', 'telegram']);
});
