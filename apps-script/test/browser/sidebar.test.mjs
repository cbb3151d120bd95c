// The sidebar in a real browser: src/Sidebar.html rendered as HtmlService would, served from
// 127.0.0.1 with a stateful fake of the server functions behind google.script.run, driven with
// playwright-core in Debian's Chromium. Screenshots go to test-artifacts/ (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  createBackend, startServer, installScriptRunStub, FUNCTIONS, REPORT, REAL_CATALOG, UNKNOWN_ESTIMATE, OMNIDESK_CATALOG,
  INTERCOM_CATALOG,
} from './fake-server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
// Google's sidebar is 300 px wide; 600 px is a laptop's sidebar height, roughly.
const VIEWPORT = { width: 300, height: 600 };

// launch() gives the browser a fresh temporary profile of its own and removes it on close.
let browser;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` `
      + '(Debian/Ubuntu, as root) or point the CHROMIUM environment variable at a Chromium binary.',
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * Opens the sidebar with a fresh backend. Every request is recorded; one that leaves
 * 127.0.0.1:<port> is aborted and listed in `external`, which each test checks is empty.
 */
async function open(t, { view, mode, backend: backendOptions, latencyMs, locale = 'en-US' } = {}) {
  const backend = createBackend(backendOptions);
  const server = await startServer(backend, { latencyMs });
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 2, locale });
  const external = [];
  const pageErrors = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${server.origin}/`)) return route.continue();
    external.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.addInitScript(installScriptRunStub, FUNCTIONS);
  t.after(async () => {
    await context.close();
    await server.close();
  });
  const query = new URLSearchParams({ view, ...(mode ? { mode } : {}) });
  const response = await page.goto(`${server.origin}/sidebar?${query}`);
  assert.equal(response.status(), 200, await response.text());
  const finish = () => {
    assert.deepEqual(external, [], 'the page must load nothing from outside 127.0.0.1');
    assert.deepEqual(pageErrors.map(String), [], 'the page threw');
  };
  return { page, backend, finish };
}

const percent = (page) => page.locator('#bar').getAttribute('aria-valuenow').then(Number);
const countOf = (page, name) => page.locator(`[data-count="${name}"] dd`).textContent();
const numberIn = (text) => Number(String(text).replace(/[^\d]/g, ''));

test('process list asks before paid requests, then shows the job advancing, the summary and the report link', async (t) => {
  const { page, backend, finish } = await open(t, {
    view: 'progress', mode: 'load', backend: { lang: 'en', estimateFirst: true, total: 100, perPoll: 20 },
  });

  // The estimate, in plain words, before anything is written.
  const estimate = page.locator('#estimate');
  await estimate.waitFor({ state: 'visible' });
  await page.getByRole('heading', { name: 'Sending the list to Chat2Desk' }).waitFor();
  const estimateText = await estimate.innerText();
  assert.match(estimateText, /This list needs paid requests/);
  assert.match(estimateText, /Requests needed\s+125,000/);
  assert.match(estimateText, /Free requests left\s+98,765/);
  assert.match(estimateText, /Paid requests\s+26,235/);
  assert.match(estimateText, /262\.35 RUB/);
  assert.equal(await page.locator('#run').isVisible(), false, 'no progress before the user agrees');
  assert.deepEqual(backend.callsOf('startJob'), [['load', false]]);
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-estimate.png') });

  await page.getByRole('button', { name: 'Go ahead' }).click();

  // Progress: the bar fills and the counts grow, poll by poll.
  const seen = new Set();
  await page.waitForFunction(() => {
    const bar = document.getElementById('bar');
    const value = Number(bar.getAttribute('aria-valuenow'));
    return value > 0 && value < 100;
  });
  seen.add(await percent(page));
  assert.ok(numberIn(await countOf(page, 'created')) > 0, 'created grows');
  assert.ok(numberIn(await countOf(page, 'requests')) > 0, 'requests spent grow');
  assert.ok(numberIn(await countOf(page, 'pending')) > 0, 'some contacts still pending');
  assert.match(await page.locator('#bar-count').textContent(), /Contacts: \d+ of 100/);
  assert.match(await page.locator('#eta').textContent(), /left/);
  assert.equal(await page.getByRole('button', { name: 'Cancel' }).isVisible(), true);
  await page.waitForTimeout(700); // let the bar's width transition settle for the picture
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-progress.png') });

  const first = [...seen][0];
  await page.waitForFunction((was) => Number(document.getElementById('bar').getAttribute('aria-valuenow')) > was, first);
  seen.add(await percent(page));
  assert.ok(seen.size >= 2, `the bar advanced: ${[...seen]}`);

  // Done: a summary and the report.
  const summary = page.locator('#summary');
  await summary.waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await percent(page), 100);
  const summaryText = await summary.innerText();
  assert.match(summaryText, /Done\. Contacts processed: 100 of 100\./);
  assert.match(summaryText, /Rows with errors: 8\./); // 5 invalid + 3 failed
  assert.equal(numberIn(await countOf(page, 'created')), 60);
  assert.equal(numberIn(await countOf(page, 'errors')), 8);
  assert.equal(numberIn(await countOf(page, 'pending')), 0);
  assert.equal(await page.locator('#job-cancel').isVisible(), false, 'nothing to cancel any more');

  await page.getByRole('button', { name: 'Open report' }).click();
  const link = page.locator('#report-link a');
  await link.waitFor({ state: 'visible' });
  assert.equal(await link.getAttribute('href'), REPORT.url);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.match(await link.textContent(), /Report 22\.11 10:15/);
  await page.waitForTimeout(700); // the bar's last step
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-done.png') });

  // What the page asked the server, in order.
  const names = backend.state.calls.map((c) => c.name);
  assert.deepEqual(names.slice(0, 3), ['getSettings', 'currentJob', 'startJob']);
  assert.deepEqual(backend.callsOf('startJob'), [['load', false], ['load', true]]);
  assert.deepEqual(backend.callsOf('openReport'), [['job-2']]);
  const polled = backend.callsOf('jobStatus').map(([id]) => id);
  assert.equal(polled[0], 'job-1');
  assert.ok(polled.slice(1).every((id) => id === 'job-2'), `after Go ahead only job-2 is polled: ${polled}`);
  assert.ok(polled.length >= 7, 'every status came from a poll');
  finish();
});

test('a job already running on the sheet is shown instead of a new one, and Cancel stops it', async (t) => {
  const { page, backend, finish } = await open(t, {
    view: 'progress', mode: 'check', backend: { lang: 'ru', liveJob: { mode: 'load' }, total: 200, perPoll: 10 },
  });

  const note = page.locator('#job-note');
  await note.waitFor({ state: 'visible' });
  assert.match(await note.textContent(), /уже идёт обработка/);
  // The running job is a load, so it is shown as one, whatever the menu item was.
  await page.getByRole('heading', { name: 'Загрузка списка в Chat2Desk' }).waitFor();
  await page.waitForFunction(() => Number(document.getElementById('bar').getAttribute('aria-valuenow')) > 0);
  assert.match(await page.locator('#bar-count').textContent(), /Контакты: \d+ из 200/);
  assert.equal(backend.callsOf('startJob').length, 0, 'no second job');

  await page.getByRole('button', { name: 'Отменить' }).click();
  const summary = page.locator('#summary');
  await summary.waitFor({ state: 'visible' });
  assert.match(await summary.textContent(), /Отменено\. До остановки обработано контактов: \d+ из 200\./);
  assert.deepEqual(backend.callsOf('cancelJob'), [['job-1']]);
  assert.equal(await page.locator('#job-state').textContent(), 'Отменено');
  assert.equal(await page.getByRole('button', { name: 'Открыть отчёт' }).isVisible(), true);
  finish();
});

test('errors reach the user in words: the server’s own, or a generic one when a call fails', async (t) => {
  const message = 'The add-on is not connected to its server yet: ask your administrator.';
  const { page, backend, finish } = await open(t, {
    view: 'progress', mode: 'sample', backend: { lang: 'en', answers: { startJob: { ok: false, error: message } } },
  });
  const problem = page.locator('#progress-msg');
  await problem.waitFor({ state: 'visible' });
  assert.equal(await problem.textContent(), message);
  assert.equal(await page.getByRole('button', { name: 'Try again' }).isVisible(), true);

  // The server is fixed; Try again starts the sample job.
  delete backend.state.answers.startJob;
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('heading', { name: 'Sending 20 sample rows to Chat2Desk' }).waitFor();
  await page.waitForFunction(() => Number(document.getElementById('bar').getAttribute('aria-valuenow')) > 0);
  assert.equal(await problem.isVisible(), false);
  assert.deepEqual(backend.callsOf('startJob'), [['sample', false], ['sample', false]]);
  finish();

  // A call that fails outright (the failure handler) gives the generic words.
  const settings = await open(t, {
    view: 'settings', backend: { lang: 'en', token: 'c2d-token-1234', answers: { checkConnection: 'throw' } },
  });
  const connection = settings.page.locator('#connection');
  await connection.waitFor({ state: 'visible' });
  assert.equal(await connection.textContent(), 'Something went wrong. Please try again.');
  settings.finish();
});

test('a call Google refuses has its own words: several accounts signed in, or a server error of Google', async (t) => {
  // google-sheets.md: with several Google accounts signed in, google.script.run fails before
  // the server function runs — even getSettings, so the page knows only the browser's language.
  const ACCOUNTS = {
    en: 'Google could not tell which of your accounts is using the add-on. This happens when you are signed in to several Google accounts in this browser: use one Google account, or a private window signed in to one account only. If Google asks you to allow access, allow it.',
    ru: 'Google не смог понять, под каким аккаунтом вы работаете с дополнением. Так бывает, когда в браузере выполнен вход в несколько аккаунтов Google: работайте в одном аккаунте или в приватном окне, где выполнен вход только в один. Если Google попросит разрешить доступ — разрешите.',
  };
  const refused = { throw: 'PERMISSION_DENIED' };
  const progress = await open(t, {
    view: 'progress', mode: 'load', locale: 'ru-RU',
    backend: { lang: 'ru', answers: { getSettings: refused, currentJob: refused } },
  });
  const problem = progress.page.locator('#progress-msg');
  await problem.waitFor({ state: 'visible' });
  assert.equal(await problem.textContent(), ACCOUNTS.ru);
  assert.equal(await progress.page.getByRole('button', { name: 'Попробовать снова' }).isVisible(), true);
  await progress.page.screenshot({ path: join(ARTIFACTS, 'sidebar-accounts.png') });
  progress.finish();

  const settings = await open(t, {
    view: 'settings',
    backend: { lang: 'en', token: 'c2d-token-1234', answers: { checkConnection: { throw: 'Authorization is required to perform that action.' } } },
  });
  const connection = settings.page.locator('#connection');
  await connection.waitFor({ state: 'visible' });
  assert.equal(await connection.textContent(), ACCOUNTS.en);
  settings.finish();

  const busy = await open(t, {
    view: 'progress', mode: 'check',
    backend: { lang: 'en', answers: { startJob: { throw: "We're sorry, a server error occurred. Please wait a bit and try again." } } },
  });
  const busyProblem = busy.page.locator('#progress-msg');
  await busyProblem.waitFor({ state: 'visible' });
  assert.equal(
    await busyProblem.textContent(),
    'Google’s servers could not run this step. Wait a bit and try again. If it keeps happening and you are signed in to several Google accounts, use one account, or a private window.'
  );
  busy.finish();
});

test('settings: a masked token, Check connection fills the lists, Save sends the choices', async (t) => {
  // A first-time user: no token saved yet. The settings view is rendered without `mode`.
  const { page, backend, finish } = await open(t, { view: 'settings', backend: { lang: 'ru' } });

  const token = page.locator('#token');
  await page.getByRole('heading', { name: 'Настройки' }).waitFor();
  assert.equal(await token.getAttribute('type'), 'password');
  assert.equal(await token.inputValue(), '');
  assert.equal(await token.getAttribute('placeholder'), 'Вставьте токен');
  assert.equal(await page.locator('#channel').isDisabled(), true, 'no lists before the connection is checked');
  assert.equal(await page.locator('#region').inputValue(), 'RU');
  assert.equal(backend.callsOf('checkConnection').length, 0, 'nothing to check without a token');

  await token.fill('c2d-secret-5678');
  await page.getByRole('button', { name: 'Проверить подключение' }).click();
  const connection = page.locator('#connection');
  await connection.waitFor({ state: 'visible' });
  await page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  const connected = await connection.innerText();
  assert.match(connected, /Подключено: Flowers & Co/);
  assert.match(connected, /Осталось запросов в этом месяце: 98\s765/);
  assert.deepEqual(backend.callsOf('checkConnection'), [[{ target: 'chat2desk', token: 'c2d-secret-5678' }]]);
  // One channel takes e-mail: nothing to choose, the hint says where e-mails go.
  assert.equal(await page.locator('#email-row').isVisible(), true);
  assert.equal(await page.locator('#email-channel').isVisible(), false);
  assert.equal(
    await page.locator('#email-hint').textContent(),
    'Контакты с адресом почты попадут в канал «Support» — единственный, который принимает почту.',
  );

  // The lists: channels, messengers (of the chosen channel), tags by group, regions.
  const options = (id) => page.locator(`#${id} option`).allTextContents();
  assert.deepEqual(await options('channel'), ['Не выбран', 'Sales', 'Support']);
  assert.deepEqual(await options('transport'), ['Не выбран', 'WhatsApp', 'Telegram', 'Viber', 'E-mail', 'SMS']);
  await page.locator('#channel').selectOption({ label: 'Sales' });
  assert.deepEqual(await options('transport'), ['Не выбран', 'WhatsApp', 'Telegram']);
  await page.locator('#transport').selectOption('telegram');
  const tags = page.locator('#tags');
  assert.deepEqual(await tags.locator('.group').allTextContents(), ['Marketing', 'Clients', 'Без группы']);
  assert.deepEqual(await tags.locator('label.tag').allTextContents(), ['webinar', 'spring-sale', 'vip', 'newsletter']);
  await tags.getByLabel('webinar').check();
  await tags.getByLabel('vip').check();
  assert.equal(await page.locator('#tags-hint').textContent(), 'Выбрано: 2');
  const regions = await options('region');
  assert.ok(regions.length >= 12 && regions[0] === 'RU — Россия', regions.join());
  for (const code of ['KZ', 'BY', 'UZ', 'UA', 'AM', 'GE', 'AZ', 'KG', 'US', 'GB', 'DE']) {
    assert.ok(regions.some((r) => r.startsWith(`${code} — `)), `region ${code}`);
  }
  await page.locator('#region').selectOption('KZ');
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-settings.png'), fullPage: true });

  await page.getByRole('button', { name: 'Сохранить' }).click();
  const saved = page.locator('#settings-msg');
  await saved.waitFor({ state: 'visible' });
  assert.equal(await saved.textContent(), 'Сохранено.');
  assert.deepEqual(backend.callsOf('saveSettings'), [[{
    target: 'chat2desk', channel: '11', transport: 'telegram', emailChannel: null, tags: ['webinar', 'vip'], region: 'KZ', token: 'c2d-secret-5678',
  }]]);
  assert.equal(backend.state.token, 'c2d-secret-5678');
  assert.deepEqual(backend.state.settings, {
    target: 'chat2desk', channel: '11', transport: 'telegram', emailChannel: null, tags: ['webinar', 'vip'], region: 'KZ',
    omnideskUrl: null, staffEmail: null, tagsField: null, plays: null, intercomRegion: 'US', createAttributes: false, unarchive: false,
  });
  // The token leaves the field; only its masked form is shown.
  assert.equal(await token.inputValue(), '');
  assert.equal(await token.getAttribute('placeholder'), '••••5678 (сохранён)');
  assert.ok(!(await page.content()).includes('c2d-secret-5678'), 'the token is nowhere on the page');

  // Reopened: the lists load with the saved token, the saved choices are selected, and saving
  // with an empty token field keeps the token.
  await page.reload();
  await page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  assert.deepEqual(backend.callsOf('checkConnection').at(-1), [{ target: 'chat2desk' }], 'checked with the saved token');
  assert.equal(await page.locator('#channel').inputValue(), '11');
  assert.equal(await page.locator('#transport').inputValue(), 'telegram');
  assert.equal(await page.locator('#region').inputValue(), 'KZ');
  assert.deepEqual(await tags.locator('input:checked').evaluateAll((inputs) => inputs.map((i) => i.value)), ['webinar', 'vip']);
  await tags.getByLabel('vip').uncheck();
  await page.getByRole('button', { name: 'Сохранить' }).click();
  await saved.waitFor({ state: 'visible' });
  assert.deepEqual(backend.callsOf('saveSettings').at(-1), [{
    target: 'chat2desk', channel: '11', transport: 'telegram', emailChannel: null, tags: ['webinar'], region: 'KZ',
  }]);
  assert.equal(backend.state.token, 'c2d-secret-5678');
  finish();
});

test('settings of an account as real ones are: providers’ messenger names read plainly, an e-mail channel to choose, requests left unknown', async (t) => {
  const { page, backend, finish } = await open(t, {
    view: 'settings', backend: { lang: 'en', token: 'c2d-token-1234', catalog: REAL_CATALOG },
  });
  const connection = page.locator('#connection');
  await page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  // The account did not say: "unknown", neither 0 nor nothing.
  assert.match(await connection.innerText(), /Requests left this month: unknown/);

  const options = (id) => page.locator(`#${id} option`).allTextContents();
  assert.deepEqual(await options('transport'), [
    'Not set', 'WhatsApp (wa_dialog)', 'Telegram (tg_user)', 'VK (vkontakte)', 'E-mail', 'SMS', 'Instagram (insta_direct)',
  ]);
  await page.locator('#channel').selectOption({ label: 'Sales' });
  assert.deepEqual(await options('transport'), ['Not set', 'WhatsApp (wa_dialog)', 'Telegram (tg_user)']);
  await page.locator('#transport').selectOption('wa_dialog');

  // Two channels take e-mail, Sales does not: the user chooses where e-mails go.
  const email = page.locator('#email-channel');
  assert.equal(await email.isVisible(), true);
  assert.equal(await page.getByLabel('E-mail channel').isVisible(), true);
  assert.deepEqual(await options('email-channel'), ['Not set', 'Support', 'Newsletters']);
  assert.match(await page.locator('#email-hint').textContent(), /Several channels take e-mail: choose one\./);
  await email.selectOption({ label: 'Newsletters' });
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-settings-email.png'), fullPage: true });

  await page.getByRole('button', { name: 'Save' }).click();
  const saved = page.locator('#settings-msg');
  await saved.waitFor({ state: 'visible' });
  assert.deepEqual(backend.callsOf('saveSettings'), [[{
    target: 'chat2desk', channel: '11', transport: 'wa_dialog', emailChannel: '13', tags: [], region: 'RU',
  }]]);
  assert.equal(backend.state.settings.emailChannel, '13', 'kept by id, as the default channel');

  // Reopened, the choice is there; a saved e-mail channel the account has lost stays visible.
  await page.reload();
  await page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  assert.equal(await email.inputValue(), '13');
  backend.state.settings.emailChannel = '11';
  await page.reload();
  await page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  assert.equal(await email.inputValue(), '11');
  assert.equal(await email.locator('option:checked').textContent(), 'Sales (takes no e-mail)');
  finish();

  // No channel takes e-mail: the hint says such contacts cannot be loaded.
  const none = await open(t, {
    view: 'settings', locale: 'ru-RU',
    backend: {
      lang: 'ru', token: 'c2d-token-1234',
      catalog: { ...REAL_CATALOG, channels: REAL_CATALOG.channels.slice(0, 1), transports: ['wa_dialog', 'tg_user'] },
    },
  });
  await none.page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  assert.match(await none.page.locator('#connection').innerText(), /Осталось запросов в этом месяце: неизвестно/);
  assert.equal(await none.page.locator('#email-channel').isVisible(), false);
  assert.equal(
    await none.page.locator('#email-hint').textContent(),
    'Ни один канал этого аккаунта не принимает почту: контакты с адресом почты в него загрузить нельзя.',
  );
  none.finish();
});

test('an account that does not say its free requests: a big load asks first, without free, paid or cost numbers', async (t) => {
  const { page, backend, finish } = await open(t, {
    view: 'progress', mode: 'load',
    backend: { lang: 'en', estimateFirst: true, estimate: UNKNOWN_ESTIMATE, total: 40, perPoll: 20 },
  });
  const estimate = page.locator('#estimate');
  await estimate.waitFor({ state: 'visible' });
  const text = await estimate.innerText();
  assert.match(text, /Chat2Desk does not say how many free requests are left\./);
  assert.match(text, /This list needs about 4,200 requests; some of them may be paid\. Nothing has been sent yet\./);
  assert.match(text, /Requests needed\s+4,200/);
  assert.doesNotMatch(text, /needs paid requests|Free requests left|Paid requests|Cost|RUB|\b0\b/);
  for (const id of ['est-free-row', 'est-paid-row', 'est-cost-row']) {
    assert.equal(await page.locator(`#${id}`).isVisible(), false, `${id} is hidden`);
  }
  assert.equal(await page.locator('#run').isVisible(), false, 'no progress before the user agrees');
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-estimate-unknown.png') });

  // Go ahead is the same consent as for paid requests.
  await page.getByRole('button', { name: 'Go ahead' }).click();
  await page.locator('#summary').waitFor({ state: 'visible', timeout: 20_000 });
  assert.deepEqual(backend.callsOf('startJob'), [['load', false], ['load', true]]);
  finish();

  // In Russian, and Cancel leaves everything as it was.
  const ru = await open(t, {
    view: 'progress', mode: 'load', locale: 'ru-RU',
    backend: { lang: 'ru', estimateFirst: true, estimate: UNKNOWN_ESTIMATE },
  });
  const ruEstimate = ru.page.locator('#estimate');
  await ruEstimate.waitFor({ state: 'visible' });
  const ruText = await ruEstimate.innerText();
  assert.match(ruText, /Chat2Desk не сообщает, сколько бесплатных запросов осталось\./);
  assert.match(ruText, /Для этого списка нужно около 4\s200 запросов; часть из них может оказаться платной\./);
  assert.doesNotMatch(ruText, /Бесплатных осталось|Платных запросов|Стоимость/);
  await ru.page.getByRole('button', { name: 'Отмена' }).click();
  assert.equal(await ruEstimate.isVisible(), false);
  assert.equal(await ru.page.locator('#job-note').textContent(), 'Отменено. В Chat2Desk ничего не отправлено.');
  assert.deepEqual(ru.backend.callsOf('startJob'), [['load', false]]);
  ru.finish();
});

test('settings for Omnidesk: the target switches the fields, Check connection lists the text data fields for tags, Save sends only Omnidesk’s', async (t) => {
  const { page, backend, finish } = await open(t, { view: 'settings', backend: { lang: 'ru', token: 'c2d-token-1234' } });
  await page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  assert.equal(await page.locator('#target').inputValue(), 'chat2desk');
  assert.equal(await page.locator('#omnidesk-url').isVisible(), false);

  await page.getByLabel('Куда загружать контакты').selectOption('omnidesk');
  for (const id of ['token', 'channel', 'transport', 'tags']) assert.equal(await page.locator(`#${id}`).isVisible(), false, `${id} is Chat2Desk's`);
  assert.equal(await page.locator('#connection').isVisible(), false, "Chat2Desk's connection is not Omnidesk's");
  assert.equal(await page.locator('#tags-field').isDisabled(), true, 'no fields before the connection is checked');
  assert.equal(await page.locator('#tags-field-hint').textContent(), 'Проверьте подключение, чтобы увидеть поля данных аккаунта.');
  assert.equal(backend.callsOf('checkConnection').length, 1, 'nothing saved to check Omnidesk with');

  await page.getByRole('button', { name: 'Проверить подключение' }).click();
  assert.equal(await page.locator('#connection').textContent(), 'Сначала укажите адрес аккаунта, e-mail сотрудника и API-ключ.');
  await page.getByLabel('Адрес аккаунта Omnidesk').fill('flowers');
  await page.getByLabel('E-mail сотрудника').fill('anna@flowers.example');
  await page.getByLabel('API-ключ').fill('omni-secret-9876');
  await page.getByRole('button', { name: 'Проверить подключение' }).click();
  await page.waitForFunction(() => /flowers\.omnidesk\.ru/.test(document.getElementById('connection').textContent));
  const connected = await page.locator('#connection').innerText();
  assert.match(connected, /Подключено: flowers\.omnidesk\.ru/);
  assert.match(connected, /Клиентов в аккаунте: 15\s230/);
  assert.match(connected, /Запросов в минуту, которые принимает Omnidesk: 5/);
  assert.deepEqual(backend.callsOf('checkConnection').at(-1), [{
    target: 'omnidesk', omnideskUrl: 'flowers', staffEmail: 'anna@flowers.example', apiKey: 'omni-secret-9876',
  }]);
  // Tags go only into a text field: the select field is not offered.
  assert.deepEqual(await page.locator('#tags-field option').allTextContents(), ['Не выбран', 'Tags', 'Notes']);
  assert.match(await page.locator('#tags-field-hint').textContent(), /У клиентов Omnidesk нет тегов/);
  await page.getByLabel('Поле для тегов').selectOption('Tags');
  assert.equal(await page.locator('#plays').inputValue(), '', 'no account differences unless the check found some');
  await page.getByLabel('Отличия аккаунта').fill(' note-appends ');
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-settings-omnidesk.png'), fullPage: true });

  await page.getByRole('button', { name: 'Сохранить' }).click();
  await page.locator('#settings-msg').waitFor({ state: 'visible' });
  assert.deepEqual(backend.callsOf('saveSettings'), [[{
    target: 'omnidesk', region: 'RU', omnideskUrl: 'flowers', staffEmail: 'anna@flowers.example', tagsField: 'Tags', plays: 'note-appends', apiKey: 'omni-secret-9876',
  }]]);
  assert.equal(await page.locator('#api-key').inputValue(), '');
  assert.equal(await page.locator('#api-key').getAttribute('placeholder'), '••••9876 (сохранён)');
  assert.ok(!(await page.content()).includes('omni-secret-9876'), 'the key is nowhere on the page');
  assert.equal(backend.state.token, 'c2d-token-1234', "Chat2Desk's token stays");

  // Reopened: Omnidesk is chosen, checked with what is saved, its field selected.
  await page.reload();
  await page.waitForFunction(() => /Подключено/.test(document.getElementById('connection').textContent));
  assert.equal(await page.locator('#target').inputValue(), 'omnidesk');
  // The address and e-mail show as saved and go as shown; the key stays on the server.
  assert.deepEqual(backend.callsOf('checkConnection').at(-1), [{ target: 'omnidesk', omnideskUrl: 'flowers', staffEmail: 'anna@flowers.example' }]);
  assert.equal(await page.locator('#tags-field').inputValue(), 'Tags');
  assert.equal(await page.locator('#staff-email').inputValue(), 'anna@flowers.example');
  assert.equal(await page.locator('#plays').inputValue(), 'note-appends');
  finish();

  // An account without a text field for users says what to create.
  const bare = await open(t, {
    view: 'settings',
    backend: {
      lang: 'en', apiKey: 'omni-key-1234',
      saved: { target: 'omnidesk', omnideskUrl: 'https://flowers.omnidesk.ru', staffEmail: 'anna@flowers.example', tagsField: 'Old tags' },
      omnideskCatalog: { ...OMNIDESK_CATALOG, users: null, ratePerMinute: null, fields: [{ id: 2, title: 'Plan', type: 'select' }] },
    },
  });
  await bare.page.waitForFunction(() => /Connected/.test(document.getElementById('connection').textContent));
  assert.match(await bare.page.locator('#connection').innerText(), /Clients in the account: unknown[\s\S]*accepts: unknown/);
  assert.deepEqual(await bare.page.locator('#tags-field option').allTextContents(), ['Not set', 'Old tags (not in the account)']);
  assert.match(await bare.page.locator('#tags-field-hint').textContent(), /has no text data field for clients: create one in Omnidesk/);
  bare.finish();
});

test('an Omnidesk load that takes hours says how long as soon as it is planned, and polls less often; texts name Omnidesk', async (t) => {
  const saved = { target: 'omnidesk', omnideskUrl: 'https://flowers.omnidesk.ru', staffEmail: 'anna@flowers.example', tagsField: 'Tags' };
  const { page, backend, finish } = await open(t, {
    view: 'progress', mode: 'load',
    backend: { lang: 'en', apiKey: 'omni-key-1234', saved, total: 10000, perPoll: 10, plannedRequests: 30000, plannedSeconds: 6 * 3600 + 2 * 60 + 10 },
  });
  await page.getByRole('heading', { name: 'Sending the list to Omnidesk' }).waitFor();
  const note = page.locator('#long-load');
  await note.waitFor({ state: 'visible' });
  assert.equal(
    await note.textContent(),
    'This load will take about 6 h: Omnidesk accepts only a few requests a minute, and the list needs about 30,000. '
      + 'You may close this panel: once an hour the add-on brings the load a fresh Google sign-in, so the statuses keep '
      + 'reaching the sheet (with the panel open, without pauses).'
  );
  assert.equal(await page.getByRole('button', { name: 'Cancel' }).isVisible(), true, 'it can still be cancelled');
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-long-load.png') });
  const polls = backend.callsOf('jobStatus').length;
  await page.waitForTimeout(4500);
  assert.equal(backend.callsOf('jobStatus').length, polls, 'a long load is polled every 15 s, not every 2 s');
  finish();

  // In Russian, in minutes; a load of a few minutes says nothing of it.
  const ru = await open(t, {
    view: 'progress', mode: 'sample', locale: 'ru-RU',
    backend: { lang: 'ru', apiKey: 'omni-key-1234', saved, total: 100, perPoll: 20, plannedRequests: 120, plannedSeconds: 1440 },
  });
  await ru.page.getByRole('heading', { name: 'Пробная загрузка в Omnidesk: 20 строк' }).waitFor();
  await ru.page.locator('#long-load').waitFor({ state: 'visible' });
  assert.match(await ru.page.locator('#long-load').textContent(), /^Загрузка займёт около 24 мин: Omnidesk принимает лишь несколько запросов в минуту, а списку нужно около 120\. Панель можно закрыть/);
  ru.finish();

  // Without the hourly trigger (Google refused it) only the panel's polls keep the sign-in fresh.
  const kept = await open(t, {
    view: 'progress', mode: 'load',
    backend: { lang: 'en', apiKey: 'omni-key-1234', saved, total: 10000, perPoll: 10, plannedRequests: 30000, plannedSeconds: 7200, backgroundPolls: false },
  });
  await kept.page.locator('#long-load').waitFor({ state: 'visible' });
  assert.match(await kept.page.locator('#long-load').textContent(), /about 2 h: .* Keep this panel open until it ends: through it the statuses reach the sheet with your Google sign-in\.$/);
  kept.finish();

  const short = await open(t, {
    view: 'progress', mode: 'check',
    backend: { lang: 'en', apiKey: 'omni-key-1234', saved, total: 40, perPoll: 20, plannedSeconds: 150 },
  });
  await short.page.getByRole('heading', { name: 'Checking the list for Omnidesk' }).waitFor();
  const summary = short.page.locator('#summary');
  await summary.waitFor({ state: 'visible', timeout: 20_000 });
  assert.match(await summary.textContent(), /Nothing was sent to Omnidesk\./);
  assert.equal(await short.page.locator('#long-load').isVisible(), false);
  assert.ok(short.backend.callsOf('jobStatus').length >= 3, 'polled every 2 s');
  short.finish();
});

test('settings for Intercom: the token masked, the region, Check connection shows attributes, tags and rate, Save sends the two consents', async (t) => {
  const { page, backend, finish } = await open(t, { view: 'settings', backend: { lang: 'en', token: 'c2d-token-1234' } });
  await page.waitForFunction(() => /Flowers/.test(document.getElementById('connection').textContent));
  await page.getByLabel('Load contacts into').selectOption('intercom');
  for (const id of ['token', 'channel', 'omnidesk-url', 'tags-field']) assert.equal(await page.locator(`#${id}`).isVisible(), false, `${id} is another target's`);
  assert.equal(await page.locator('#connection').isVisible(), false);
  assert.equal(await page.locator('#intercom-token-hint').textContent(), 'You will find it in Intercom: Settings → Integrations → Developer Hub → your app → Authentication.');
  assert.equal(await page.locator('#intercom-region').inputValue(), 'US');

  await page.getByRole('button', { name: 'Check connection' }).click();
  assert.equal(await page.locator('#connection').textContent(), 'Enter the token first.');
  await page.getByLabel('Intercom access token').fill('ic-secret-5678');
  await page.getByLabel('Where the workspace is hosted').selectOption('EU');
  await page.getByRole('button', { name: 'Check connection' }).click();
  await page.waitForFunction(() => /Intercom/.test(document.getElementById('connection').textContent));
  const connected = await page.locator('#connection').innerText();
  assert.match(connected, /Connected to Intercom \(api\.eu\.intercom\.io\)/);
  assert.match(connected, /Custom attributes \(2\): job_title, telegram_id/);
  assert.match(connected, /Tags in the workspace: 3/);
  assert.match(connected, /Requests a minute Intercom accepts: 10,000/);
  assert.deepEqual(backend.callsOf('checkConnection').at(-1), [{ target: 'intercom', intercomRegion: 'EU', intercomToken: 'ic-secret-5678' }]);
  await page.getByLabel('Create missing attributes').check();
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-settings-intercom.png'), fullPage: true });

  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#settings-msg').waitFor({ state: 'visible' });
  assert.deepEqual(backend.callsOf('saveSettings'), [[{
    target: 'intercom', region: 'RU', intercomRegion: 'EU', createAttributes: true, unarchive: false, intercomToken: 'ic-secret-5678',
  }]]);
  assert.equal(await page.locator('#intercom-token').inputValue(), '');
  assert.equal(await page.locator('#intercom-token').getAttribute('placeholder'), '••••5678 (saved)');
  assert.ok(!(await page.content()).includes('ic-secret-5678'), 'the token is nowhere on the page');
  assert.equal(backend.state.token, 'c2d-token-1234', "Chat2Desk's token stays");

  // Reopened: Intercom is chosen and checked with what is saved; another region checks again.
  await page.reload();
  await page.waitForFunction(() => /Intercom \(/.test(document.getElementById('connection').textContent));
  assert.equal(await page.locator('#target').inputValue(), 'intercom');
  assert.equal(await page.locator('#create-attributes').isChecked(), true);
  assert.equal(await page.locator('#unarchive').isChecked(), false);
  assert.deepEqual(backend.callsOf('checkConnection').at(-1), [{ target: 'intercom', intercomRegion: 'EU' }]);
  await page.getByLabel('Where the workspace is hosted').selectOption('AU');
  await page.waitForFunction(() => /api\.au\.intercom\.io/.test(document.getElementById('connection').textContent));
  assert.deepEqual(backend.callsOf('checkConnection').at(-1), [{ target: 'intercom', intercomRegion: 'AU' }]);
  finish();

  // In Russian; a workspace without custom attributes says what the checkbox is for.
  const ru = await open(t, {
    view: 'settings', locale: 'ru-RU',
    backend: { lang: 'ru', intercomToken: 'ic-token-1234', saved: { target: 'intercom' }, intercomCatalog: { ...INTERCOM_CATALOG, attributes: [], ratePerMinute: null } },
  });
  await ru.page.waitForFunction(() => /Подключено/.test(document.getElementById('connection').textContent));
  const words = await ru.page.locator('#connection').innerText();
  assert.match(words, /Подключено: Intercom \(api\.intercom\.io\)/);
  assert.match(words, /ещё нет своих атрибутов: .* отметьте «Создавать недостающие атрибуты»/);
  assert.match(words, /Запросов в минуту, которые принимает Intercom: неизвестно/);
  assert.equal(await ru.page.getByLabel('Разархивировать архивированные контакты').isVisible(), true);
  ru.finish();
});

test('an Intercom load warns, before anything is sent, that live campaigns may message the contacts; a check does not ask', async (t) => {
  const saved = { target: 'intercom', intercomRegion: 'US' };
  const { page, backend, finish } = await open(t, {
    view: 'progress', mode: 'load', backend: { lang: 'en', intercomToken: 'ic-token-1234', saved, total: 40, perPoll: 20 },
  });
  await page.getByRole('heading', { name: 'Sending the list to Intercom' }).waitFor();
  const warning = page.locator('#live-warning');
  await warning.waitFor({ state: 'visible' });
  assert.equal(
    await warning.locator('.box').innerText(),
    'Before loading into Intercom\n\nContacts that match your live campaigns’ rules may get their messages right away. '
      + 'Pause campaigns and notifications in Intercom for the load, and try “Process 20 sample rows” first.'
  );
  assert.equal(await page.locator('#run').isVisible(), false);
  await page.screenshot({ path: join(ARTIFACTS, 'sidebar-intercom-warning.png') });
  await page.waitForTimeout(300);
  assert.equal(backend.callsOf('startJob').length, 0, 'nothing is started before the user says so');
  await page.getByRole('button', { name: 'Start the load' }).click();
  const summary = page.locator('#summary');
  await summary.waitFor({ state: 'visible', timeout: 20_000 });
  assert.deepEqual(backend.callsOf('startJob'), [['load', false]]);
  assert.equal(await warning.isVisible(), false);
  assert.match(await summary.textContent(), /^Done\./);
  finish();

  // Cancel sends nothing; a sample in Russian says its own words.
  const ru = await open(t, {
    view: 'progress', mode: 'sample', locale: 'ru-RU', backend: { lang: 'ru', intercomToken: 'ic-token-1234', saved },
  });
  await ru.page.locator('#live-warning').waitFor({ state: 'visible' });
  assert.match(await ru.page.locator('#live-text').textContent(), /^Контакты, подходящие под правила активных кампаний, могут сразу получить их сообщения — и эти 20 тоже\./);
  await ru.page.getByRole('button', { name: 'Отмена' }).click();
  assert.equal(await ru.page.locator('#job-note').textContent(), 'Отменено. В Intercom ничего не отправлено.');
  assert.equal(ru.backend.callsOf('startJob').length, 0);
  ru.finish();

  const check = await open(t, {
    view: 'progress', mode: 'check', backend: { lang: 'en', intercomToken: 'ic-token-1234', saved, total: 40, perPoll: 20 },
  });
  await check.page.getByRole('heading', { name: 'Checking the list for Intercom' }).waitFor();
  await check.page.locator('#summary').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await check.page.locator('#live-warning').isVisible(), false);
  assert.match(await check.page.locator('#summary').textContent(), /Nothing was sent to Intercom\./);
  check.finish();
});
