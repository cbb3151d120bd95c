import test from 'node:test';
import assert from 'node:assert/strict';

import { addonWithBackend, TOKEN } from '../support/unit.mjs';
import { createWorld, ONE_PER_DOCUMENT, SCOPES, TOO_MANY_TRIGGERS, TOO_OFTEN, TRIGGERS_PER_USER } from '../support/fakes.mjs';

const NO_SCRIPTAPP = /You do not have permission to call ScriptApp\.newTrigger\. Required permissions: https:\/\/www\.googleapis\.com\/auth\/script\.scriptapp/;

// ---- The fake keeps an add-on's limits ---------------------------------------------------

test('an add-on may have an hourly trigger, not one more often than once an hour', () => {
  const world = createWorld();
  assert.throws(() => world.ScriptApp.newTrigger('tick').timeBased().everyMinutes(30).create(), { message: TOO_OFTEN });
  assert.throws(() => world.ScriptApp.newTrigger('tick').timeBased().everyMinutes(7), /Invalid argument: 7/);
  assert.throws(() => world.ScriptApp.newTrigger('tick').timeBased().create(), /no schedule/);
  assert.equal(world.triggers.length, 0);
  const trigger = world.ScriptApp.newTrigger('tick').timeBased().everyHours(1).create();
  assert.deepEqual([trigger.getHandlerFunction(), trigger.getEventType(), trigger.minutes], ['tick', 'CLOCK', 60]);
  assert.deepEqual(world.ScriptApp.getUserTriggers(world.spreadsheet), [trigger]);
});

test('one time-driven trigger per user and document, 20 per user, and deleting one frees its place', () => {
  const world = createWorld();
  const first = world.ScriptApp.newTrigger('tick').timeBased().everyHours(1).create();
  assert.throws(() => world.ScriptApp.newTrigger('other').timeBased().everyHours(2).create(), { message: ONE_PER_DOCUMENT });
  world.ScriptApp.deleteTrigger(first);
  assert.deepEqual(world.ScriptApp.getProjectTriggers(), []);
  world.ScriptApp.newTrigger('other').timeBased().everyHours(2).create();
  // Other documents of the same user: each has its own place, up to the user's 20.
  for (let i = 1; i < TRIGGERS_PER_USER; i++) {
    world.spreadsheet.id = `1Other${i}`;
    world.ScriptApp.newTrigger('tick').timeBased().everyHours(1).create();
  }
  world.spreadsheet.id = '1OneTooMany';
  assert.throws(() => world.ScriptApp.newTrigger('tick').timeBased().everyHours(1).create(), { message: TOO_MANY_TRIGGERS });
  assert.equal(world.ScriptApp.getProjectTriggers().length, TRIGGERS_PER_USER);
  assert.deepEqual(world.ScriptApp.getUserTriggers(world.spreadsheet), []);
});

test('triggers need the script.scriptapp scope', () => {
  const world = createWorld({ scopes: [SCOPES.spreadsheets, SCOPES.externalRequest, SCOPES.openid] });
  assert.throws(() => world.ScriptApp.newTrigger('tick'), NO_SCRIPTAPP);
  assert.throws(() => world.ScriptApp.getProjectTriggers(), /Required permissions: https:\/\/www\.googleapis\.com\/auth\/script\.scriptapp/);
});

// ---- The add-on's background polls ---------------------------------------------------------

test('starting a job installs one hourly trigger, however many jobs are started', () => {
  const { run, world } = addonWithBackend({ token: TOKEN, sheets: { Sheet1: [['Contact'], ['+7 999 123-45-67']], Other: [['Contact'], ['a@b.ru']] } });
  run('startJob', 'load', false);
  world.spreadsheet.setActiveSheet(world.spreadsheet.getSheetByName('Other'));
  run('startJob', 'check', false);
  assert.equal(world.triggers.length, 1);
  assert.deepEqual([world.triggers[0].getHandlerFunction(), world.triggers[0].minutes], ['pollJobsInBackground', 60]);
  assert.equal(run('jobStatus', 'job-1').backgroundPolls, true);
});

test('the hourly trigger polls every live job with a fresh token, forgets ended ones, and deletes itself when none is live', () => {
  const { addon, run, world, backend } = addonWithBackend({ token: TOKEN });
  const job = run('startJob', 'load', false);
  // Another spreadsheet's job of the same user, remembered there.
  world.PropertiesService.getUserProperties().setProperty('CL_JOB:1OtherBook:0', JSON.stringify({ jobId: 'job-9', mode: 'check', target: 'chat2desk' }));
  backend.jobs.set('job-9', { id: 'job-9', request: { mode: 'check', target: { kind: 'chat2desk' } }, state: 'running', sheetsTokens: [], progress: null, estimate: null, error: null });

  // The sidebar is closed; an hour later Google gives the add-on a new token.
  world.oauthToken = 'oauth-token-2';
  addon.fireClockTriggers();
  assert.deepEqual(backend.jobs.get(job.jobId).sheetsTokens, ['oauth-token-2']);
  assert.deepEqual(backend.jobs.get('job-9').sheetsTokens, ['oauth-token-2']);
  assert.equal(world.triggers.length, 1, 'jobs are live: the trigger stays');

  // The fake backend moves a job on with each poll: the next hour ends the first; the other is gone.
  backend.jobs.delete('job-9');
  world.oauthToken = 'oauth-token-3';
  addon.fireClockTriggers();
  assert.equal(backend.jobs.get(job.jobId).state, 'done');
  assert.deepEqual(world.PropertiesService.getUserProperties().getKeys().filter((k) => k.startsWith('CL_JOB:')), []);
  assert.equal(world.triggers.length, 0, 'nothing live: the trigger deleted itself');
  assert.deepEqual(run('currentJob'), { ok: true, jobId: null, mode: null });
});

test('a poll that gets no answer keeps the trigger for the next hour', () => {
  const { addon, run, world, backend } = addonWithBackend({ token: TOKEN });
  run('startJob', 'load', false);
  backend.down = true;
  addon.fireClockTriggers();
  assert.equal(world.triggers.length, 1);
  assert.ok(world.logs.some((line) => /^warn: contact-loader: background poll of job job-1 failed/.test(line)), world.logs.join('\n'));
  assert.ok(!world.logs.some((line) => line.includes('oauth-token')), 'no token in the log');
});

test('a job whose trigger Google refuses still starts, and the sidebar is told to stay open', () => {
  const { run, world } = addonWithBackend({ token: TOKEN });
  // An update's new scope not granted yet: the add-on's other scopes still are.
  world.scopes = world.scopes.filter((scope) => scope !== SCOPES.scriptApp);
  const job = run('startJob', 'load', false);
  assert.equal(job.ok, true);
  assert.equal(world.triggers.length, 0);
  assert.equal(run('jobStatus', job.jobId).backgroundPolls, false);
  assert.ok(world.logs.some((line) => /^warn: contact-loader: no hourly trigger for background polls: .*script\.scriptapp/.test(line)));
});

test('a live job found on reopening gets the trigger it lacks', () => {
  const { run, world } = addonWithBackend({ token: TOKEN });
  const job = run('startJob', 'load', false);
  world.ScriptApp.deleteTrigger(world.triggers[0]);
  assert.equal(run('currentJob').jobId, job.jobId);
  assert.equal(world.triggers.length, 1);
});
