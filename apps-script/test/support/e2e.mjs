// What the end-to-end tests (test/e2e/, run by the Rust test tests/addon.rs) share: the
// add-on deployed for a backend behind a TLS-terminating proxy, Process list as the sidebar
// does it, and the sheet as the fake Google Sheets API holds it.
//
// The add-on is deployed as `npm run set-backend -- https://contact-loader.e2e.test/` would
// leave it: Apps Script fetches only what the manifest's urlFetchWhitelist lists, which
// must be https://, so no deployment could name the backend's http://127.0.0.1:PORT. As a
// TLS-terminating proxy in front of a real backend would, the transport maps that https
// origin to `backend_url` — and the fake's whitelist check stays real.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { loadAddon } from './addon.mjs';
import { httpSync } from './http-sync.mjs';

export const DEPLOYED_URL = 'https://contact-loader.e2e.test/';
const POLL_MS = 300;
export const DEADLINE_MS = 120_000;
export const COUNTED = ['created', 'updated', 'unchanged', 'merged', 'invalid', 'skipped', 'failed', 'pending'];

/**
 * The add-on over `rows` (the sheet `env.sheet` as the fake Sheets API holds it), in the
 * header's language, calling the backend only through the deployed address.
 */
export function deployedAddon(env, rows) {
  const locale = /[а-яё]/i.test(rows[0].join('')) ? 'ru_RU' : 'en_US';
  const addon = loadAddon({
    locale,
    spreadsheetId: env.spreadsheet_id,
    sheets: { [env.sheet]: rows },
    identityToken: env.identity_token,
    oauthToken: env.oauth_token,
    backendUrl: DEPLOYED_URL,
    transport: (request) => httpSync(throughProxy(request, env.backend_url)),
  });
  assert.deepEqual(addon.world.urlFetchWhitelist, [DEPLOYED_URL]);
  assert.throws(
    () => addon.world.UrlFetchApp.fetch(`${env.backend_url.replace(/\/+$/, '')}/v1/usage`, { muteHttpExceptions: true }),
    /has not been whitelisted in the script manifest/,
    'the backend itself is not whitelisted: every call goes through the deployed address'
  );
  return addon;
}

/**
 * What the sidebar does for Process list: start the job; if the backend refused it with an
 * estimate, go ahead with allow_paid; poll until it ends. A second press while it runs must
 * show the same job. Returns the job's id, its last status and every status polled.
 */
export async function processList(run) {
  let started = run('startJob', 'load', false);
  assert.equal(started.ok, true, JSON.stringify(started));
  assert.equal(started.existing, false, 'a new job');
  const pressedAgain = run('startJob', 'load', false);
  assert.equal(pressedAgain.ok, true, JSON.stringify(pressedAgain));
  if (pressedAgain.existing) {
    assert.equal(pressedAgain.jobId, started.jobId, 'a second press shows the live job');
    // The job is the sheet's current one while it runs; a fast one may have ended already.
    const current = run('currentJob');
    if (current.jobId === null) {
      assert.ok(!['queued', 'running'].includes(run('jobStatus', started.jobId).state), 'only an ended job is not current');
    } else {
      assert.deepEqual(current, { ok: true, jobId: started.jobId, mode: 'load' });
    }
  } else {
    // Only if the first one had already ended (or was refused with an estimate).
    assert.ok(!['queued', 'running'].includes(run('jobStatus', started.jobId).state));
    started = pressedAgain;
  }
  let polled = await pollToEnd(run, started.jobId);
  if (polled.at(-1).estimate) {
    started = run('startJob', 'load', true);
    assert.equal(started.ok, true, JSON.stringify(started));
    polled = await pollToEnd(run, started.jobId);
  }
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null }, 'an ended job is not live');
  return { jobId: started.jobId, status: polled.at(-1), polled };
}

async function pollToEnd(run, jobId) {
  const deadline = Date.now() + DEADLINE_MS;
  const polled = [];
  for (;;) {
    const status = run('jobStatus', jobId);
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.jobId, jobId);
    polled.push(status);
    if (!['queued', 'running'].includes(status.state)) return polled;
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
export async function readSheet(env) {
  const range = encodeURIComponent(`'${env.sheet.replace(/'/g, "''")}'`);
  const url = `${env.sheets_url.replace(/\/+$/, '')}/v4/spreadsheets/${encodeURIComponent(env.spreadsheet_id)}/values/${range}`;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${env.oauth_token}` } });
  assert.equal(response.status, 200, `reading the sheet: ${await response.clone().text()}`);
  const body = await response.json();
  assert.equal(body.majorDimension, 'ROWS');
  return body.values || [];
}

/** The 0-based column whose header is one of `names` (compared trimmed, in lower case). */
export function columnOf(header, names) {
  const index = header.findIndex((cell) => names.includes(String(cell).trim().toLowerCase()));
  assert.ok(index >= 0, `no ${names.join('/')} column in ${JSON.stringify(header)}`);
  return index;
}

export function sum(counts) {
  return COUNTED.reduce((total, key) => total + counts[key], 0);
}
