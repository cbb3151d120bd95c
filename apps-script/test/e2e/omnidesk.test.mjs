// Process list into Omnidesk, end to end: the add-on's real functions, over the fakes of Apps
// Script, calling a real `contact-loader serve`, which reads and writes the fake Google Sheets
// API and loads into the Omnidesk sandbox. The Rust test tests/addon.rs starts all of that
// and runs this file with CONTACT_LOADER_E2E_OMNIDESK set to JSON:
// {"backend_url", "sheets_url", "spreadsheet_id", "sheet", "identity_token", "oauth_token",
//  "omnidesk_url", "staff_email", "api_key"}. The sheet is laid out as the add-on's own
// Omnidesk contact sheet (this test checks that), with tags in some rows, and the account's
// data fields "Тариф" (a select), "Источник" (text) and "Рассылка" (a checkbox) in columns
// of their own, which tests/addon.rs finds on the users afterwards.

import test from 'node:test';
import assert from 'node:assert/strict';

import { DEADLINE_MS, columnOf, deployedAddon, processList, readSheet, sum } from '../support/e2e.mjs';

const config = process.env.CONTACT_LOADER_E2E_OMNIDESK;

if (!config) {
  test.skip('process list into Omnidesk end to end: run by the Rust test tests/addon.rs, which starts the backend and sets CONTACT_LOADER_E2E_OMNIDESK');
} else {
  const env = JSON.parse(config);

  test('an Omnidesk sheet: the tags field asked for in words, then every row loaded with its status, and a second run writes nothing', { timeout: 6 * DEADLINE_MS }, async () => {
    const rows = await readSheet(env);
    const dataRows = rows.length - 1;
    assert.ok(dataRows > 0, 'the sheet holds a header and data rows');
    const { run, world, context } = deployedAddon(env, rows);
    const lang = context.clLangOfSpreadsheet_(world.spreadsheet);

    // Settings as the user fills them in: Omnidesk, the account's address (the sandbox's,
    // which the server's administrator allowed), the staff e-mail and the API key.
    const settings = run('saveSettings', { target: 'omnidesk', omnideskUrl: env.omnidesk_url, staffEmail: env.staff_email, apiKey: env.api_key });
    assert.equal(settings.ok, true, JSON.stringify(settings));
    assert.deepEqual([settings.target, settings.omnideskUrl, settings.apiKeySet], ['omnidesk', env.omnidesk_url, true]);

    // The sheet is the add-on's own Omnidesk layout: New contact sheet makes the same header,
    // the account's data fields among its columns (not "Теги", which is the Tags column's
    // title), a select's options and a checkbox's words in their dropdowns.
    run('menuNewContactSheet');
    const made = world.spreadsheet.getActiveSheet();
    assert.deepEqual(made.getRange(1, 1, 1, made.getLastColumn()).getValues()[0], rows[0]);
    const listOf = (title) => {
      const rule = made.getRange(2, columnOf(rows[0], [title.toLowerCase()]) + 1).getDataValidation();
      return rule && { items: rule.getCriteriaValues()[0], allowInvalid: rule.getAllowInvalid() };
    };
    assert.deepEqual(listOf('Тариф'), { items: ['Базовый', 'Про'], allowInvalid: false });
    assert.equal(listOf('Источник'), null);
    assert.deepEqual(listOf('Рассылка'), { items: [...context.clTexts_(lang, 'checkboxWords')], allowInvalid: false });
    const statusColumn = columnOf(rows[0], ['status', 'статус']) + 1;
    assert.ok(made.getConditionalFormatRules().every((rule) => rule.getRanges().every((range) => range.getColumn() === statusColumn)), 'the colours are on Status');
    world.spreadsheet.setActiveSheet(world.spreadsheet.getSheetByName(env.sheet));

    const connection = run('checkConnection');
    assert.equal(connection.ok, true, JSON.stringify(connection));
    assert.equal(connection.accountUrl, env.omnidesk_url);
    assert.equal(typeof connection.ratePerMinute, 'number', 'the sandbox announces its rate');
    const tagsField = connection.fields.find((f) => f.type === 'text' && f.title === 'Теги');
    assert.ok(tagsField, `a text data field for the tags: ${JSON.stringify(connection.fields)}`);

    // An account difference the backend does not know is refused before the job, in words
    // that point at the setting; cleared, the job goes.
    const before = await sandboxStats(env);
    assert.equal(run('saveSettings', { plays: 'notes-append' }).plays, 'notes-append');
    assert.deepEqual(run('startJob', 'load', false), { ok: false, error: context.clText_(lang, 'playsUnknown', { name: 'notes-append' }) });
    assert.equal(run('saveSettings', { plays: '' }).plays, null);

    // The sheet has tags and no tags field is chosen yet: refused before any write, in words
    // that point at the setting.
    const refused = await processList(run);
    assert.equal(refused.status.state, 'failed', JSON.stringify(refused.status));
    assert.equal(refused.status.target, 'omnidesk');
    assert.equal(refused.status.error, context.clText_(lang, 'tagsFieldMissing'));
    assert.deepEqual(writes(await sandboxStats(env)), writes(before), 'nothing was written to Omnidesk');

    const chosen = run('saveSettings', { tagsField: tagsField.title });
    assert.equal(chosen.tagsField, tagsField.title);
    const first = await processList(run);
    assert.equal(first.status.state, 'done', JSON.stringify(first.status));
    assert.equal(first.status.rows, dataRows);
    assert.equal(sum(first.status.counts), dataRows, `the counts add up: ${JSON.stringify(first.status.counts)}`);
    for (const key of ['failed', 'pending', 'invalid']) assert.equal(first.status.counts[key], 0, `${key}: ${JSON.stringify(first.status.counts)}`);
    // The load said what it planned before its first write, at the rate the account announced.
    const planned = first.polled.find((s) => s.state === 'running' && s.plannedRequests > 0);
    assert.ok(planned, `a running status with the plan: ${JSON.stringify(first.polled)}`);
    assert.ok(Math.abs(planned.plannedSeconds - (planned.plannedRequests * 60) / connection.ratePerMinute) <= 1, JSON.stringify(planned));

    const after = await readSheet(env);
    const status = columnOf(after[0], ['status', 'статус']);
    const clientId = columnOf(after[0], ['client id', 'id клиента']);
    for (let r = 1; r <= dataRows; r++) {
      const row = after[r] || [];
      const seen = `${JSON.stringify(row)} under ${JSON.stringify(after[0])}`;
      assert.notEqual(row[status] || '', '', `row ${r + 1} has a status: ${seen}`);
      assert.match(row[clientId] || '', /^\d+$/, `row ${r + 1} has a client id: ${seen}`);
    }

    // Process list again: every row unchanged, and not one write reaches Omnidesk.
    const loadedStats = await sandboxStats(env);
    const second = await processList(run);
    assert.notEqual(second.jobId, first.jobId);
    assert.equal(second.status.state, 'done', JSON.stringify(second.status));
    assert.equal(second.status.counts.unchanged, first.status.counts.created + first.status.counts.updated + first.status.counts.unchanged);
    assert.equal(sum(second.status.counts), dataRows);
    assert.deepEqual(writes(await sandboxStats(env)), writes(loadedStats), 'the second run wrote nothing');
  });
}

/** The sandbox's own count of the requests it served, by endpoint (src/targets/omnidesk/sandbox.rs `/sandbox/stats`). */
async function sandboxStats(env) {
  const response = await fetch(`${env.omnidesk_url}/sandbox/stats`);
  assert.equal(response.status, 200);
  return response.json();
}

/** The write requests among them: POST and PUT, by endpoint. */
function writes(stats) {
  return Object.fromEntries(Object.entries(stats.requests).filter(([endpoint]) => /^(POST|PUT) /.test(endpoint)));
}
