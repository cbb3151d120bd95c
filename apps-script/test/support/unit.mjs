// The usual unit-test set-up: the add-on loaded over fakes, deployed for a fake backend
// (as `npm run set-backend -- https://backend.test/` would), and the script properties an
// administrator may set.

import assert from 'node:assert/strict';

import { loadAddon } from './addon.mjs';
import { FakeBackend } from './fake-backend.mjs';

export const TOKEN = 'c2d-0123456789abcdef';
export const BACKEND_URL = 'https://backend.test/';

export const CONTACT_ROWS = [
  ['Контакт', 'Имя', 'Статус'],
  ['+7 999 123-45-67', 'Анна', ''],
  ['89991234568', 'Борис', ''],
];

/**
 * `{addon, world, backend, run}`. Options: `locale`, `sheets` (name → rows), `backendUrl`
 * (where the add-on is deployed to call, and the fake backend listens; null: the committed
 * placeholder), `targetBaseUrl`, `token` (stored in the user's settings first), and any
 * other option of the world (`scopes`, `urlFetchWhitelist`, `authorized`, `urlFetchQuota`).
 */
export function addonWithBackend({ locale = 'en_US', sheets = { Sheet1: CONTACT_ROWS }, backendUrl = BACKEND_URL, targetBaseUrl = null, token = null, ...world } = {}) {
  const backend = new FakeBackend({ baseUrl: (backendUrl || BACKEND_URL).replace(/\/$/, ''), targetTokens: [TOKEN] });
  const addon = loadAddon({ locale, sheets, transport: backend.transport, ...(backendUrl ? { backendUrl } : {}), ...world });
  if (targetBaseUrl) addon.world.PropertiesService.getScriptProperties().setProperty('TARGET_BASE_URL', targetBaseUrl);
  if (token) addon.run('saveSettings', { token });
  return { addon, world: addon.world, backend, run: addon.run };
}

/** The dropdown of column `col` of data row `row`: its items, whether other text is allowed, its help text. */
export function dropdown(sheet, col, row = 2) {
  const rule = sheet.getRange(row, col).getDataValidation();
  if (!rule) return null;
  assert.equal(rule.getCriteriaType(), 'VALUE_IN_LIST');
  const [items, shown] = rule.getCriteriaValues();
  assert.equal(shown, true, 'the list is shown as a dropdown');
  return { items, allowInvalid: rule.getAllowInvalid(), help: rule.getHelpText() };
}
