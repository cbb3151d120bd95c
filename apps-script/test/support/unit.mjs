// The usual unit-test set-up: the add-on loaded over fakes, a fake backend behind
// UrlFetchApp, and the script properties an administrator sets at deploy time.

import { loadAddon } from './addon.mjs';
import { FakeBackend } from './fake-backend.mjs';

export const TOKEN = 'c2d-0123456789abcdef';

export const CONTACT_ROWS = [
  ['Контакт', 'Имя', 'Статус'],
  ['+7 999 123-45-67', 'Анна', ''],
  ['89991234568', 'Борис', ''],
];

/**
 * `{addon, world, backend, run}`. Options: `locale`, `sheets` (name → rows), `backendUrl`
 * (null: BACKEND_URL unset), `targetBaseUrl`, `token` (stored in the user's settings first).
 */
export function addonWithBackend({ locale = 'en_US', sheets = { Sheet1: CONTACT_ROWS }, backendUrl = 'https://backend.test/', targetBaseUrl = null, token = null } = {}) {
  const backend = new FakeBackend({ targetTokens: [TOKEN] });
  const addon = loadAddon({ locale, sheets, transport: backend.transport });
  const script = addon.world.PropertiesService.getScriptProperties();
  if (backendUrl) script.setProperty('BACKEND_URL', backendUrl);
  if (targetBaseUrl) script.setProperty('TARGET_BASE_URL', targetBaseUrl);
  if (token) addon.run('saveSettings', { token });
  return { addon, world: addon.world, backend, run: addon.run };
}
