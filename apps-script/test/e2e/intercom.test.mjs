// Process list into Intercom, end to end: the add-on's real functions, over the fakes of Apps
// Script, calling a real `contact-loader serve`, which reads and writes the fake Google Sheets
// API and loads into the Intercom sandbox. The Rust test tests/addon.rs starts all of that and
// runs this file with CONTACT_LOADER_E2E_INTERCOM set to JSON:
// {"backend_url", "sheets_url", "spreadsheet_id", "sheet", "identity_token", "oauth_token",
//  "intercom_url", "token"}. The sheet is laid out as the add-on's own Intercom contact sheet
// (this test checks that): users, leads, positions, messenger ids, comments and tags; the
// workspace has none of the custom attributes the sheet fills.

import test from 'node:test';
import assert from 'node:assert/strict';

import { DEADLINE_MS, columnOf, deployedAddon, processList, readSheet, sum } from '../support/e2e.mjs';

const config = process.env.CONTACT_LOADER_E2E_INTERCOM;

if (!config) {
  test.skip('process list into Intercom end to end: run by the Rust test tests/addon.rs, which starts the backend and sets CONTACT_LOADER_E2E_INTERCOM');
} else {
  const env = JSON.parse(config);

  test('an Intercom sheet: the missing attributes named in words, then every row loaded with its status once they may be created, and a second run writes nothing', { timeout: 6 * DEADLINE_MS }, async () => {
    const rows = await readSheet(env);
    const dataRows = rows.length - 1;
    assert.ok(dataRows > 0, 'the sheet holds a header and data rows');
    const { run, world, context } = deployedAddon(env, rows);
    const lang = context.clLangOfSpreadsheet_(world.spreadsheet);
    // The administrator points Intercom at the sandbox, which the server's administrator allowed.
    world.PropertiesService.getScriptProperties().setProperty('INTERCOM_BASE_URL', env.intercom_url);

    const settings = run('saveSettings', { target: 'intercom', intercomToken: env.token, intercomRegion: 'EU' });
    assert.equal(settings.ok, true, JSON.stringify(settings));
    assert.deepEqual([settings.target, settings.intercomTokenSet, settings.createAttributes], ['intercom', true, false]);

    // The sheet is the add-on's own Intercom layout: New contact sheet makes the same header,
    // with the workspace's tags in its Tags dropdown.
    run('menuNewContactSheet');
    const made = world.spreadsheet.getActiveSheet();
    assert.deepEqual(made.getRange(1, 1, 1, rows[0].length).getValues()[0], rows[0]);
    assert.deepEqual(made.getRange(2, 8).getDataValidation().getCriteriaValues()[0], ['vip']);
    world.spreadsheet.setActiveSheet(world.spreadsheet.getSheetByName(env.sheet));

    const connection = run('checkConnection');
    assert.equal(connection.ok, true, JSON.stringify(connection));
    assert.equal(connection.host, env.intercom_url.replace(/^https?:\/\//, ''));
    assert.deepEqual(connection.attributes, [], 'no custom attributes yet');
    assert.deepEqual(connection.tags, ['vip']);
    assert.equal(typeof connection.ratePerMinute, 'number', 'the sandbox announces its rate');

    // Positions and Telegram ids need attributes the workspace lacks: refused before any
    // write, in words that name them and point at the setting.
    const before = await sandboxStats(env);
    const refused = await processList(run);
    assert.equal(refused.status.state, 'failed', JSON.stringify(refused.status));
    assert.equal(refused.status.target, 'intercom');
    assert.equal(refused.status.error, context.clText_(lang, 'attributesMissing', { names: 'job_title, telegram_id' }));
    assert.deepEqual(writes(await sandboxStats(env)), writes(before), 'nothing was written to Intercom');

    assert.equal(run('saveSettings', { createAttributes: true }).createAttributes, true);
    const first = await processList(run);
    assert.equal(first.status.state, 'done', JSON.stringify(first.status));
    assert.equal(first.status.rows, dataRows);
    assert.equal(sum(first.status.counts), dataRows, `the counts add up: ${JSON.stringify(first.status.counts)}`);
    for (const key of ['failed', 'pending', 'invalid']) assert.equal(first.status.counts[key], 0, `${key}: ${JSON.stringify(first.status.counts)}`);
    assert.equal(first.status.estimate, null, 'Intercom asks no consent for paid requests');
    const created = (await sandboxStats(env)).requests['POST /data_attributes'];
    assert.equal(created, 2, 'each missing attribute created once');

    const after = await readSheet(env);
    const status = columnOf(after[0], ['status', 'статус']);
    const clientId = columnOf(after[0], ['client id', 'id клиента']);
    for (let r = 1; r <= dataRows; r++) {
      const row = after[r] || [];
      const seen = `${JSON.stringify(row)} under ${JSON.stringify(after[0])}`;
      assert.notEqual(row[status] || '', '', `row ${r + 1} has a status: ${seen}`);
      assert.match(row[clientId] || '', /^[0-9a-f]+$/, `row ${r + 1} has an Intercom id: ${seen}`);
    }

    // Process list again: every row unchanged, and not one write reaches Intercom.
    const loadedStats = await sandboxStats(env);
    const second = await processList(run);
    assert.notEqual(second.jobId, first.jobId);
    assert.equal(second.status.state, 'done', JSON.stringify(second.status));
    assert.equal(second.status.counts.unchanged, first.status.counts.created + first.status.counts.updated + first.status.counts.unchanged);
    assert.equal(sum(second.status.counts), dataRows);
    assert.deepEqual(writes(await sandboxStats(env)), writes(loadedStats), 'the second run wrote nothing');
  });
}

/** The sandbox's own count of the requests it served, by endpoint (src/targets/intercom/sandbox.rs `/sandbox/stats`). */
async function sandboxStats(env) {
  const response = await fetch(`${env.intercom_url}/sandbox/stats`);
  assert.equal(response.status, 200);
  return response.json();
}

/** The write requests among them: POST, PUT and DELETE by endpoint, but a search, which only reads. */
function writes(stats) {
  return Object.fromEntries(
    Object.entries(stats.requests).filter(([endpoint]) => /^(POST|PUT|DELETE) /.test(endpoint) && endpoint !== 'POST /contacts/search')
  );
}
