// The clasp project is complete and consistent, as `clasp push` would send it: every
// function the page calls exists and is callable by google.script.run, no other is, every
// page a function opens or includes is a file, the manifest says what the add-on needs, it
// agrees with src/Deployment.js on where the backend is, and every text is in both languages.

import test from 'node:test';
import assert from 'node:assert/strict';

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { loadAddon, SRC_DIR } from '../support/addon.mjs';
import { validWhitelistEntry } from '../support/fakes.mjs';
import { PLACEHOLDER, deploymentProblems, readDeployment } from '../../tools/deployment.mjs';

const read = (file) => readFileSync(path.join(SRC_DIR, file), 'utf8');
const pages = readdirSync(SRC_DIR).filter((f) => f.endsWith('.html'));
const scripts = readdirSync(SRC_DIR).filter((f) => f.endsWith('.js'));

/** Every first argument of `fn('…'` in `text`. */
function namesCalled(text, fn) {
  return [...text.matchAll(new RegExp(`\\b${fn}\\(\\s*'([^']+)'`, 'g'))].map((m) => m[1]);
}

test('every server function the sidebar calls is a public global function', () => {
  const { context } = loadAddon();
  const called = new Set(pages.flatMap((page) => namesCalled(read(page), 'call')));
  // The contract's eight (CONTRACT.md), no more and no fewer.
  assert.deepEqual([...called].sort(), [
    'cancelJob', 'checkConnection', 'currentJob', 'getSettings', 'jobStatus', 'openReport', 'saveSettings', 'startJob',
  ]);
  for (const name of called) {
    assert.equal(typeof context[name], 'function', `${name} is defined`);
    // Apps Script hides functions ending in `_` from google.script.run.
    assert.ok(!name.endsWith('_'), `${name} can be called from the page`);
  }
});

test('every page a function opens or includes is in the project', () => {
  const opened = scripts.flatMap((file) => [
    ...namesCalled(read(file), 'createTemplateFromFile'),
    ...namesCalled(read(file), 'createHtmlOutputFromFile'),
  ]);
  const included = pages.flatMap((page) =>
    [...read(page).matchAll(/<\?!=\s*include_\('([^']+)'\)\s*\?>/g)].map((m) => m[1])
  );
  assert.ok(opened.includes('Sidebar'), 'the sidebar is opened by name');
  assert.ok(included.length > 0, 'the sidebar includes its partials');
  for (const name of [...opened, ...included]) {
    assert.ok(existsSync(path.join(SRC_DIR, `${name}.html`)), `src/${name}.html exists`);
  }
  const { context } = loadAddon();
  assert.equal(typeof context.include_, 'function', 'include_() is defined for the partials');
});

test('the public functions are the menu, its handlers, the contract and the trigger\'s handler: include_ and every helper are private', () => {
  const { context } = loadAddon();
  // Apps Script lets google.script.run call every top-level function whose name does not
  // end in `_`: a public include(name) would hand the page any of the project's files.
  const services = new Set(['SpreadsheetApp', 'PropertiesService', 'UrlFetchApp', 'ScriptApp', 'HtmlService', 'Utilities', 'Session', 'console', 'Logger']);
  const publicFunctions = Object.keys(context)
    .filter((name) => !services.has(name) && typeof context[name] === 'function' && !name.endsWith('_'))
    .sort();
  assert.deepEqual(publicFunctions, [
    'cancelJob', 'checkConnection', 'currentJob', 'getSettings', 'jobStatus',
    'menuCheckList', 'menuHelp', 'menuNewContactSheet', 'menuProcessList', 'menuProcessSample', 'menuSettings',
    'onInstall', 'onOpen', 'openReport', 'pollJobsInBackground', 'saveSettings', 'startJob',
  ]);
  assert.equal(context.include, undefined, 'include is not public');
  for (const page of pages) {
    assert.doesNotMatch(read(page), /<\?!?=?\s*include\(/, `${page} includes with include_()`);
  }
});

test('the manifest is V8 with explicit, minimal scopes the Sheets API accepts, and a whitelisted backend', () => {
  const manifest = JSON.parse(read('appsscript.json'));
  assert.equal(manifest.runtimeVersion, 'V8');
  // google-sheets.md: the backend calls the Sheets REST API with this token, which refuses
  // spreadsheets.currentonly; nothing reads the e-mail claim, so no userinfo.email;
  // script.scriptapp for the hourly trigger (Background.js).
  assert.deepEqual([...manifest.oauthScopes].sort(), [
    'https://www.googleapis.com/auth/script.container.ui',
    'https://www.googleapis.com/auth/script.external_request',
    'https://www.googleapis.com/auth/script.scriptapp',
    'https://www.googleapis.com/auth/spreadsheets',
    'openid',
  ]);
  for (const file of scripts) {
    assert.doesNotMatch(read(file), /getActiveUser\(\)|getEffectiveUser\(\)|getEmail\(\)/, `${file} reads no e-mail address`);
  }
  assert.ok(manifest.urlFetchWhitelist.length > 0);
  for (const prefix of manifest.urlFetchWhitelist) {
    // Apps Script accepts only HTTPS prefixes that end with a slash after the host.
    assert.ok(validWhitelistEntry(prefix), prefix);
  }
});

test('src/Deployment.js and the manifest agree on the backend (the placeholder, until a deployment sets it)', () => {
  assert.deepEqual(deploymentProblems(SRC_DIR, { allowPlaceholder: true }), []);
  const { backendUrl, manifest } = readDeployment(SRC_DIR);
  assert.equal(backendUrl, PLACEHOLDER, 'the repository keeps the placeholder; npm run set-backend changes it');
  assert.deepEqual(manifest.urlFetchWhitelist, [PLACEHOLDER]);
  // The add-on's code knows the placeholder too, to say "not set up" should it be pushed.
  const { context } = loadAddon();
  assert.equal(context.CL_BACKEND_PLACEHOLDER, PLACEHOLDER);
  assert.equal(context.CL_BACKEND_URL, PLACEHOLDER);
});

test('the menu names only functions the project defines', () => {
  const { context } = loadAddon();
  const named = scripts.flatMap((file) =>
    // The handler is addItem's last argument: `.addItem(caption, 'handler')`.
    [...read(file).matchAll(/\.addItem\(.*,\s*'([^']+)'\)\s*$/gm)].map((m) => m[1])
  );
  assert.equal(named.length, 6);
  for (const name of named) {
    assert.equal(typeof context[name], 'function', name);
    assert.ok(!name.endsWith('_'), `${name} can be run from the menu`);
  }
});

test('every text is in both languages: the server code’s and the sidebar’s', () => {
  const { context } = loadAddon();
  const keys = (texts) => Object.keys(texts).sort();
  assert.deepEqual(keys(context.CL_TEXTS.ru), keys(context.CL_TEXTS.en), 'Texts.js');
  // The sidebar's table sits inside its script: read it as the object literal it is.
  const script = read('SidebarScript.html');
  const literal = /var TEXTS = (\{[\s\S]*?\n {2}\});/.exec(script);
  assert.ok(literal, 'SidebarScript.html has its TEXTS table');
  const sidebar = new Function(`return (${literal[1]});`)();
  assert.deepEqual(keys(sidebar.ru), keys(sidebar.en), 'SidebarScript.html');
  // Every key the page names is in the table.
  const named = new Set([
    ...[...script.matchAll(/\bt\(\s*'(\w+)'\s*[,)]/g)].map((m) => m[1]),
    ...pages.flatMap((page) => [...read(page).matchAll(/data-t="(\w+)"/g)].map((m) => m[1])),
  ]);
  assert.ok(named.size > 40, `the page's texts were found: ${named.size}`);
  for (const key of named) assert.ok(key in sidebar.en, `sidebar text ${key}`);
});
