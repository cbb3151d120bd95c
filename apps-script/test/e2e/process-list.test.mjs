// Process list, end to end: the add-on's real functions, over the fakes of Apps Script,
// calling a real `contact-loader serve` over HTTP; the backend reads and writes a fake
// Google Sheets API and loads into a Chat2Desk sandbox. The Rust test tests/addon.rs starts
// all of that and runs this file with CONTACT_LOADER_E2E set to JSON:
// {"backend_url", "sheets_url", "spreadsheet_id", "sheet", "identity_token", "oauth_token",
//  "target_token", "target_base_url"}.
//
// The add-on is deployed as `npm run set-backend -- https://contact-loader.e2e.test/` would
// leave it: Apps Script fetches only what the manifest's urlFetchWhitelist lists, which
// must be https://, so no deployment could name the backend's http://127.0.0.1:PORT. As a
// TLS-terminating proxy in front of a real backend would, the transport maps that https
// origin to `backend_url` — and the fake's whitelist check stays real.

import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { loadAddon } from '../support/addon.mjs';
import { httpSync } from '../support/http-sync.mjs';

const ROWS = 100;
const DEPLOYED_URL = 'https://contact-loader.e2e.test/';
const POLL_MS = 300;
const DEADLINE_MS = 120_000;
const COUNTED = ['created', 'updated', 'unchanged', 'merged', 'invalid', 'skipped', 'failed', 'pending'];

const config = process.env.CONTACT_LOADER_E2E;

if (!config) {
  test.skip('process list end to end: run by the Rust test tests/addon.rs, which starts the backend and sets CONTACT_LOADER_E2E');
} else {
  const env = JSON.parse(config);

  test('process list loads every row, writes statuses and client ids back, and a second run changes nothing', { timeout: 4 * DEADLINE_MS }, async () => {
    const rows = await readSheet(env);
    assert.equal(rows.length - 1, ROWS, 'the sheet holds a header and the data rows');

    // The add-on's spreadsheet is the fake Sheets API's sheet, in the header's language.
    const locale = /[а-яё]/i.test(rows[0].join('')) ? 'ru_RU' : 'en_US';
    const { run, world } = loadAddon({
      locale,
      spreadsheetId: env.spreadsheet_id,
      sheets: { [env.sheet]: rows },
      identityToken: env.identity_token,
      oauthToken: env.oauth_token,
      backendUrl: DEPLOYED_URL,
      transport: (request) => httpSync(throughProxy(request, env.backend_url)),
    });
    assert.deepEqual(world.urlFetchWhitelist, [DEPLOYED_URL]);
    assert.throws(
      () => world.UrlFetchApp.fetch(`${env.backend_url.replace(/\/+$/, '')}/v1/usage`, { muteHttpExceptions: true }),
      /has not been whitelisted in the script manifest/,
      'the backend itself is not whitelisted: every call goes through the deployed address'
    );
    if (env.target_base_url) world.PropertiesService.getScriptProperties().setProperty('TARGET_BASE_URL', env.target_base_url);

    const settings = run('saveSettings', { token: env.target_token });
    assert.equal(settings.ok, true, JSON.stringify(settings));
    assert.equal(settings.tokenSet, true);
    const connection = run('checkConnection');
    assert.equal(connection.ok, true, JSON.stringify(connection));
    assert.ok(connection.channels.length > 0, 'the sandbox has channels');
    // The sheet names no channel or messenger: as a user would, pick them in Settings from
    // what the connection check listed.
    const [channel] = connection.channels;
    const chosen = run('saveSettings', { channel: channel.name, transport: channel.transports[0] });
    assert.deepEqual([chosen.channel, chosen.transport, chosen.tokenSet], [channel.name, channel.transports[0], true]);

    const first = await processList(run);
    assert.equal(first.status.state, 'done', JSON.stringify(first.status));
    assert.equal(first.status.rows, ROWS);
    assert.equal(sum(first.status.counts), ROWS, `the counts add up: ${JSON.stringify(first.status.counts)}`);
    assert.equal(first.status.counts.failed, 0);
    assert.equal(first.status.counts.pending, 0);
    assert.equal(first.status.counts.invalid, 0, `no row is refused: ${JSON.stringify(first.status.counts)}`);

    const report = run('openReport', first.jobId);
    assert.equal(report.ok, true, JSON.stringify(report));
    const reportSheet = world.spreadsheet.getSheetByName(report.sheetName);
    assert.equal(reportSheet.getLastRow() - 1, ROWS, 'one report line per data row');
    assert.match(report.url, new RegExp(`#gid=${reportSheet.getSheetId()}$`));

    // What the backend wrote into the sheet, as Google would now show it.
    const after = await readSheet(env);
    const status = columnOf(after[0], ['status', 'статус']);
    const clientId = columnOf(after[0], ['client id', 'id клиента']);
    for (let r = 1; r <= ROWS; r++) {
      const row = after[r] || [];
      const seen = `${JSON.stringify(row)} under ${JSON.stringify(after[0])}`;
      assert.notEqual(row[status] || '', '', `row ${r + 1} has a status: ${seen}`);
      assert.match(row[clientId] || '', /^\d+$/, `row ${r + 1} has a client id: ${seen}`);
    }

    // Back on the contact sheet (openReport left the report open), Process list again after
    // the first ended: a new job, and nothing left to do.
    world.spreadsheet.setActiveSheet(world.spreadsheet.getSheetByName(env.sheet));
    const second = await processList(run);
    assert.notEqual(second.jobId, first.jobId);
    assert.equal(second.status.state, 'done', JSON.stringify(second.status));
    assert.equal(sum(second.status.counts), ROWS);
    assert.equal(second.status.counts.created, 0);
    assert.equal(second.status.counts.updated, 0);
    assert.equal(second.status.counts.failed, 0);
    assert.equal(second.status.counts.pending, 0);
    const loaded = first.status.counts.created + first.status.counts.updated + first.status.counts.unchanged;
    assert.equal(second.status.counts.unchanged, loaded, 'every row loaded the first time is unchanged');
  });
}

/**
 * What the sidebar does for Process list: start the job; if the backend refused it with an
 * estimate, go ahead with allow_paid; poll until it ends. A second press while it runs must
 * show the same job.
 */
async function processList(run) {
  let started = run('startJob', 'load', false);
  assert.equal(started.ok, true, JSON.stringify(started));
  assert.equal(started.existing, false, 'a new job');
  const pressedAgain = run('startJob', 'load', false);
  assert.equal(pressedAgain.ok, true, JSON.stringify(pressedAgain));
  if (pressedAgain.existing) {
    assert.equal(pressedAgain.jobId, started.jobId, 'a second press shows the live job');
    assert.deepEqual(run('currentJob'), { ok: true, jobId: started.jobId, mode: 'load' });
  } else {
    // Only if the first one had already ended (or was refused with an estimate).
    assert.ok(!['queued', 'running'].includes(run('jobStatus', started.jobId).state));
    started = pressedAgain;
  }
  let status = await pollToEnd(run, started.jobId);
  if (status.estimate) {
    started = run('startJob', 'load', true);
    assert.equal(started.ok, true, JSON.stringify(started));
    status = await pollToEnd(run, started.jobId);
  }
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null }, 'an ended job is not live');
  return { jobId: started.jobId, status };
}

async function pollToEnd(run, jobId) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const status = run('jobStatus', jobId);
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.jobId, jobId);
    if (!['queued', 'running'].includes(status.state)) return status;
    assert.ok(status.contactsDone <= status.contactsTotal || status.contactsTotal === 0, JSON.stringify(status));
    assert.ok(Date.now() < deadline, `job ${jobId} did not end in ${DEADLINE_MS / 1000} s: ${JSON.stringify(status)}`);
    await sleep(POLL_MS);
  }
}

/**
 * What a TLS-terminating proxy at DEPLOYED_URL does: the same request, to the backend behind
 * it. Any other address has no server (fakes.mjs turns the throw into Apps Script's
 * "Address unavailable").
 */
function throughProxy(request, backendUrl) {
  if (!request.url.startsWith(DEPLOYED_URL)) throw new Error(`nothing serves ${request.url}`);
  return { ...request, url: `${backendUrl.replace(/\/+$/, '')}/${request.url.slice(DEPLOYED_URL.length)}` };
}

/** The sheet's values from the fake Sheets API (ragged rows, as Google gives them). */
async function readSheet(env) {
  const range = encodeURIComponent(`'${env.sheet.replace(/'/g, "''")}'`);
  const url = `${env.sheets_url.replace(/\/+$/, '')}/v4/spreadsheets/${encodeURIComponent(env.spreadsheet_id)}/values/${range}`;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${env.oauth_token}` } });
  assert.equal(response.status, 200, `reading the sheet: ${await response.clone().text()}`);
  const body = await response.json();
  assert.equal(body.majorDimension, 'ROWS');
  return body.values || [];
}

/** The 0-based column whose header is one of `names` (compared trimmed, in lower case). */
function columnOf(header, names) {
  const index = header.findIndex((cell) => names.includes(String(cell).trim().toLowerCase()));
  assert.ok(index >= 0, `no ${names.join('/')} column in ${JSON.stringify(header)}`);
  return index;
}

function sum(counts) {
  return COUNTED.reduce((total, key) => total + counts[key], 0);
}
