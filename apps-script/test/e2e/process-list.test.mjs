// Process list, end to end: the add-on's real functions, over the fakes of Apps Script,
// calling a real `contact-loader serve` over HTTP; the backend reads and writes a fake
// Google Sheets API and loads into a Chat2Desk sandbox. The Rust test tests/addon.rs starts
// all of that and runs this file with CONTACT_LOADER_E2E set to JSON:
// {"backend_url", "sheets_url", "spreadsheet_id", "sheet", "identity_token", "oauth_token",
//  "target_token", "target_base_url"}. How the add-on reaches the backend: test/support/e2e.mjs.

import test from 'node:test';
import assert from 'node:assert/strict';

import { DEADLINE_MS, columnOf, deployedAddon, processList, readSheet, sum } from '../support/e2e.mjs';

const ROWS = 100;

const config = process.env.CONTACT_LOADER_E2E;

if (!config) {
  test.skip('process list end to end: run by the Rust test tests/addon.rs, which starts the backend and sets CONTACT_LOADER_E2E');
} else {
  const env = JSON.parse(config);

  test('process list loads every row, writes statuses and client ids back, and a second run changes nothing', { timeout: 4 * DEADLINE_MS }, async () => {
    const rows = await readSheet(env);
    assert.equal(rows.length - 1, ROWS, 'the sheet holds a header and the data rows');

    // The add-on's spreadsheet is the fake Sheets API's sheet, in the header's language.
    const { run, world } = deployedAddon(env, rows);
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
