// One place for the backend's address: `npm run set-backend -- <url>` writes it into
// src/Deployment.js and the manifest's urlFetchWhitelist, `npm run check-deploy` refuses a
// project where they disagree or still hold the placeholder, and `npm run push` runs that
// check before `clasp push`. Run on copies of apps-script/ in a temporary directory.

import test from 'node:test';
import assert from 'node:assert/strict';

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { loadAddon } from '../support/addon.mjs';
import {
  APP_DIR, PLACEHOLDER, backendUrlProblem, deploymentProblems, deploymentSource, readDeployment, withBackendUrl,
} from '../../tools/deployment.mjs';

const SET_BACKEND = path.join(APP_DIR, 'tools', 'set-backend.mjs');
const CHECK_DEPLOY = path.join(APP_DIR, 'tools', 'check-deploy.mjs');

/** A copy of apps-script/ (src, tools, package.json, .clasp.json), removed after the test. */
function copyOfApp(t, { scriptId = null } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'contact-loader-add-on-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const entry of ['src', 'tools', 'package.json', '.clasp.json']) {
    cpSync(path.join(APP_DIR, entry), path.join(dir, entry), { recursive: true });
  }
  if (scriptId) writeFileSync(path.join(dir, '.clasp.json'), JSON.stringify({ scriptId, rootDir: 'src' }, null, 2) + '\n');
  return dir;
}

/** Runs a tool of tools/ on `appDir`: `{status, stdout, stderr}`. */
function tool(script, args, appDir) {
  const result = spawnSync(process.execPath, [script, ...args, '--app-dir', appDir], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('a backend address is https, with a full domain and a path, ending with "/"', () => {
  for (const url of ['https://loader.example.org/', 'https://example.org/loader/', 'https://example.org:8443/cl/v2/']) {
    assert.equal(backendUrlProblem(url), null, url);
  }
  const refused = {
    '': /give the backend's address/,
    'http://loader.example.org/': /only https:\/\//,
    'https://loader.example.org': /needs a path after the host, at least "\/": https:\/\/loader\.example\.org\/$/,
    'https://example.org/loader': /must end with "\/": https:\/\/example\.org\/loader\/$/,
    'https://example.org//': /empty segment/,
    'https://example.org/?x=1': /no query or fragment/,
    'https://example.org/#top': /no query or fragment/,
    'https://user:secret@example.org/': /no user name or password/,
    'https://localhost/': /full domain/,
    'https://*.example.org/': /full domain/,
    'https://Loader.Example.org/': /write the address as https:\/\/loader\.example\.org\//,
    ' https://loader.example.org/': /spaces/,
    "https://example.org/it's/": /quotes/,
    'loader.example.org/': /not a URL/,
  };
  for (const [url, reason] of Object.entries(refused)) {
    assert.match(backendUrlProblem(url) || 'accepted', reason, JSON.stringify(url));
  }
  assert.doesNotMatch(backendUrlProblem('https://user:secret@example.org/'), /secret/, 'a password is not repeated');
});

test('set-backend writes the address into Deployment.js and the whitelist, and check-deploy then passes', (t) => {
  const app = copyOfApp(t, { scriptId: '1abcScriptId' });
  const before = readDeployment(path.join(app, 'src'));
  const result = tool(SET_BACKEND, ['https://loader.example.org/'], app);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /the add-on calls https:\/\/loader\.example\.org\/ \(was https:\/\/contact-loader\.example\.com\/\)/);

  const after = readDeployment(path.join(app, 'src'));
  assert.equal(after.backendUrl, 'https://loader.example.org/');
  assert.equal(after.source, deploymentSource('https://loader.example.org/'));
  assert.deepEqual(after.manifest, { ...before.manifest, urlFetchWhitelist: ['https://loader.example.org/'] }, 'nothing else changed');
  assert.deepEqual(Object.keys(after.manifest), Object.keys(before.manifest), 'the fields keep their order');
  assert.equal(readFileSync(path.join(app, 'src', 'appsscript.json'), 'utf8'), JSON.stringify(after.manifest, null, 2) + '\n');

  const check = tool(CHECK_DEPLOY, [], app);
  assert.equal(check.status, 0, check.stderr);
  assert.deepEqual(deploymentProblems(path.join(app, 'src')), []);

  // The add-on loaded from those files calls that address, which its whitelist allows.
  const { context } = loadAddon({ deploymentSource: after.source });
  assert.equal(context.CL_BACKEND_URL, 'https://loader.example.org/');
});

test('a second set-backend replaces the previous address and keeps an entry someone added', (t) => {
  const app = copyOfApp(t);
  const manifestFile = path.join(app, 'src', 'appsscript.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  manifest.urlFetchWhitelist.push('https://status.example.org/');
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  assert.equal(tool(SET_BACKEND, ['https://one.example.org/'], app).status, 0);
  assert.equal(tool(SET_BACKEND, ['https://two.example.org/cl/'], app).status, 0);
  const { manifest: after, backendUrl } = readDeployment(path.join(app, 'src'));
  assert.equal(backendUrl, 'https://two.example.org/cl/');
  assert.deepEqual(after.urlFetchWhitelist, ['https://two.example.org/cl/', 'https://status.example.org/']);
  assert.deepEqual(withBackendUrl(after, 'https://two.example.org/cl/', backendUrl).urlFetchWhitelist, after.urlFetchWhitelist, 'the same address again changes nothing');
});

test('set-backend refuses a bad address and writes nothing', (t) => {
  const app = copyOfApp(t);
  const files = ['appsscript.json', 'Deployment.js'].map((f) => path.join(app, 'src', f));
  const before = files.map((f) => readFileSync(f, 'utf8'));
  for (const url of ['http://loader.example.org/', 'https://loader.example.org', 'https://example.org/loader']) {
    const result = tool(SET_BACKEND, [url], app);
    assert.equal(result.status, 1, url);
    assert.match(result.stderr, /^set-backend: /);
  }
  assert.equal(tool(SET_BACKEND, [], app).status, 2, 'usage');
  assert.deepEqual(files.map((f) => readFileSync(f, 'utf8')), before);
});

test('check-deploy refuses the placeholder the repository keeps', () => {
  const result = spawnSync(process.execPath, [CHECK_DEPLOY], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /check-deploy: not pushing:/);
  assert.match(result.stderr, /the backend's address is still the placeholder https:\/\/contact-loader\.example\.com\/: run npm run set-backend/);
  assert.match(result.stderr, /\.clasp\.json still has the placeholder script id/);
  assert.deepEqual(deploymentProblems(undefined, { allowPlaceholder: true }), [], 'but the committed files agree');
});

test('check-deploy refuses Deployment.js and the whitelist disagreeing, or either of them broken', (t) => {
  const app = copyOfApp(t, { scriptId: '1abcScriptId' });
  const src = path.join(app, 'src');
  assert.equal(tool(SET_BACKEND, ['https://loader.example.org/'], app).status, 0);
  const manifestFile = path.join(src, 'appsscript.json');
  const good = readFileSync(manifestFile, 'utf8');

  writeFileSync(manifestFile, good.replace('https://loader.example.org/', 'https://other.example.org/'));
  let result = tool(CHECK_DEPLOY, [], app);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /urlFetchWhitelist does not list the backend https:\/\/loader\.example\.org\/ \(it lists https:\/\/other\.example\.org\/\): run npm run set-backend -- https:\/\/loader\.example\.org\//);

  writeFileSync(manifestFile, good.replace('https://loader.example.org/', 'https://loader.example.org'));
  assert.match(tool(CHECK_DEPLOY, [], app).stderr, /entry "https:\/\/loader\.example\.org" is not an https:\/\/ prefix with a path/);

  const manifest = JSON.parse(good);
  delete manifest.urlFetchWhitelist;
  writeFileSync(manifestFile, JSON.stringify(manifest));
  assert.match(tool(CHECK_DEPLOY, [], app).stderr, /has no urlFetchWhitelist/);

  writeFileSync(manifestFile, good);
  writeFileSync(path.join(src, 'Deployment.js'), "var CL_BACKEND_URL = 'https://loader.example.org';\n");
  result = tool(CHECK_DEPLOY, [], app);
  assert.match(result.stderr, /src\/Deployment\.js: the address needs a path after the host/);

  writeFileSync(path.join(src, 'Deployment.js'), 'var CL_BACKEND_URL = BACKEND;\n');
  assert.match(tool(CHECK_DEPLOY, [], app).stderr, /does not set CL_BACKEND_URL as set-backend writes it/);

  rmSync(path.join(src, 'Deployment.js'));
  assert.match(tool(CHECK_DEPLOY, [], app).stderr, /src\/Deployment\.js is missing/);
});

test('npm run push runs the check first: the placeholder never reaches clasp push', (t) => {
  const app = copyOfApp(t);
  // A stand-in for clasp on PATH, which only records that it ran.
  const bin = path.join(app, 'fake-bin');
  const ran = path.join(app, 'clasp-ran');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'clasp'), `#!/bin/sh\necho "$@" >> "${ran}"\n`);
  chmodSync(path.join(bin, 'clasp'), 0o755);
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
  const push = () => spawnSync('npm', ['run', '--silent', 'push'], { cwd: app, env, encoding: 'utf8' });

  let result = push();
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /the backend's address is still the placeholder/);
  assert.equal(existsSync(ran), false, 'clasp was not run');

  execFileSync(process.execPath, [path.join(app, 'tools', 'set-backend.mjs'), 'https://loader.example.org/'], { cwd: app });
  writeFileSync(path.join(app, '.clasp.json'), JSON.stringify({ scriptId: '1abcScriptId', rootDir: 'src' }));
  result = push();
  assert.equal(result.status, 0, result.stderr);
  assert.equal(readFileSync(ran, 'utf8').trim(), 'push');
});

test('the add-on pushed with the placeholder, or without Deployment.js, says it is not set up and fetches nothing', () => {
  for (const options of [{}, { backendUrl: PLACEHOLDER }, { deploymentSource: null }]) {
    const { run, world } = loadAddon({ locale: 'en_US', ...options });
    run('saveSettings', { token: 'c2d-0123456789abcdef' });
    assert.deepEqual(run('checkConnection'), {
      ok: false,
      error: 'The add-on is not set up yet: the administrator must set the address of the service (npm run set-backend) and deploy the add-on again.',
    });
    assert.equal(world.touched.fetch, 0);
  }
});

test('the tests deploy the add-on as set-backend would: only an address it accepts, whitelisted as it writes it', () => {
  assert.throws(() => loadAddon({ backendUrl: 'http://127.0.0.1:8080/' }), /set-backend would refuse http:\/\/127\.0\.0\.1:8080\/: Apps Script fetches only https:\/\//);
  const { world, context } = loadAddon({ backendUrl: 'https://contact-loader.e2e.test/' });
  assert.deepEqual(world.urlFetchWhitelist, ['https://contact-loader.e2e.test/']);
  assert.equal(context.CL_BACKEND_URL, 'https://contact-loader.e2e.test/');
});
