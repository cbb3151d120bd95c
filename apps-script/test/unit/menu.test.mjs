import test from 'node:test';
import assert from 'node:assert/strict';

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { loadAddon, SRC_DIR } from '../support/addon.mjs';

const MENU_FUNCTIONS = ['menuProcessList', 'menuCheckList', 'menuProcessSample', null, 'menuNewContactSheet', 'menuSettings', 'menuHelp'];

function menuOf(world) {
  assert.equal(world.ui.menus.length, 1);
  return world.ui.menus[0].items.map((item) => (item.separator ? null : item));
}

test('the menu in AuthMode.NONE touches no properties, no fetch and not the document', () => {
  const { world, context } = loadAddon({ locale: 'ru_RU', userLocale: 'ru' });
  world.authMode = 'NONE';
  context.onOpen({ authMode: context.ScriptApp.AuthMode.NONE });
  assert.deepEqual(world.touched, { properties: 0, fetch: 0, document: 0 });
  const items = menuOf(world);
  assert.deepEqual(
    items.map((item) => item && item.functionName),
    MENU_FUNCTIONS
  );
  // The user's own language, since the document may not be read.
  assert.equal(items[0].caption, 'Загрузить список');
});

test('onInstall builds the same menu, in the spreadsheet language when the document may be read', () => {
  const { world, context } = loadAddon({ locale: 'en_GB', userLocale: 'ru' });
  context.onInstall({ authMode: context.ScriptApp.AuthMode.FULL });
  const items = menuOf(world);
  assert.deepEqual(
    items.map((item) => item && item.caption),
    ['Process list', 'Check list', 'Process 20 sample rows', null, 'New contact sheet', 'Settings', 'Help']
  );
  assert.equal(world.touched.properties + world.touched.fetch, 0);
});

test('every menu item names a global function', () => {
  const { world, context } = loadAddon();
  context.onOpen({ authMode: 'LIMITED' });
  for (const item of menuOf(world)) {
    if (item) assert.equal(typeof context[item.functionName], 'function', item.functionName);
  }
});

test('Process list, Check list and the sample open the progress view in their mode; Settings the settings view', () => {
  const { world, run } = loadAddon({ locale: 'ru_RU' });
  run('menuProcessList');
  run('menuCheckList');
  run('menuProcessSample');
  run('menuSettings');
  assert.deepEqual(
    world.ui.sidebars.map((page) => [page.file, page.vars.view, page.vars.mode, page.title]),
    [
      ['Sidebar', 'progress', 'load', 'Загрузка контактов'],
      ['Sidebar', 'progress', 'check', 'Загрузка контактов'],
      ['Sidebar', 'progress', 'sample', 'Загрузка контактов'],
      ['Sidebar', 'settings', 'load', 'Загрузка контактов'],
    ]
  );
  assert.equal(world.touched.fetch, 0, 'opening a page calls no backend');
});

test('Help shows the instructions in a dialog, escaped, in the spreadsheet language', () => {
  const { world, run } = loadAddon({ locale: 'en_US' });
  run('menuHelp');
  assert.equal(world.ui.dialogs.length, 1);
  const { output, title } = world.ui.dialogs[0];
  assert.equal(title, 'Help');
  assert.match(output.getContent(), /<h3>How to load contacts into Chat2Desk<\/h3>/);
  assert.match(output.getContent(), /&quot;Check connection&quot;/);
  assert.doesNotMatch(output.getContent(), /"Check connection"/);
});

test('include_() gives a page file as it is, and fails for a missing one, as HtmlService does', () => {
  const { context } = loadAddon();
  for (const file of readdirSync(SRC_DIR).filter((f) => f.endsWith('.html'))) {
    assert.equal(context.include_(file.replace(/\.html$/, '')), readFileSync(path.join(SRC_DIR, file), 'utf8'));
  }
  assert.throws(() => context.include_('NoSuchPartial'), /No HTML file named NoSuchPartial/);
});

test('the page the menu opens is in the project', () => {
  const { world, run } = loadAddon();
  run('menuSettings');
  assert.ok(existsSync(path.join(SRC_DIR, `${world.ui.sidebars[0].file}.html`)));
});
