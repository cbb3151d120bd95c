// Where the backend is, kept in one place: `src/Deployment.js` (the address the code calls)
// and the manifest's `urlFetchWhitelist` (the prefixes Apps Script lets UrlFetchApp call)
// are both written from one URL by `npm run set-backend -- <url>`, and checked to agree by
// `npm run check-deploy`, which `npm run push` runs before `clasp push`.
//
// Node only (tools/ is outside clasp's rootDir `src`, so it is never pushed). The tests load
// the add-on through the same functions (test/support/addon.mjs), so what they whitelist is
// what this command would write.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SRC_DIR = path.join(APP_DIR, 'src');
export const MANIFEST_FILE = 'appsscript.json';
export const DEPLOYMENT_FILE = 'Deployment.js';

/**
 * What the repository holds until someone deploys: a name under example.com, which no one can
 * own (RFC 2606). check-deploy refuses it; the add-on's code, should it be pushed anyway,
 * says it is not set up (src/Backend.js has the same text).
 */
export const PLACEHOLDER = 'https://contact-loader.example.com/';

/** The scriptId `.clasp.json` ships with (docs/add-on.md, Deploying it). */
export const SCRIPT_ID_PLACEHOLDER = 'REPLACE_WITH_YOUR_SCRIPT_ID';

/**
 * Why `url` cannot be the backend's address, or `null` when it can. google-sheets.md and
 * Google's "Allowlist URLs": a urlFetchWhitelist entry is an https:// prefix with a full
 * domain and a non-empty path (`https://x.com/` is valid, `https://x.com` is not), and a
 * fetched URL is allowed when it starts with an entry. The code joins `v1/jobs` etc. to the
 * address, so it must end with `/` (else `https://x.com/loader` would also let
 * `https://x.com/loader-evil/` through, and the joined URL would need a slash of its own);
 * empty segments (`//`) are refused because the joined path would not be what was meant.
 */
export function backendUrlProblem(url) {
  if (typeof url !== 'string' || url.trim() === '') {
    return 'give the backend\'s address, e.g. https://loader.example.org/';
  }
  if (/\s/.test(url)) {
    return `the address has spaces in it: ${JSON.stringify(url)}`;
  }
  // It goes into src/Deployment.js as a quoted string.
  if (/['"`\\<>]/.test(url)) {
    return `the address has quotes, a backslash or angle brackets in it: ${url}`;
  }
  let parsed;
  try {
    parsed = new URL(url);
  } catch (e) {
    return `not a URL: ${url}`;
  }
  if (parsed.protocol !== 'https:') {
    return `Apps Script fetches only https:// addresses (urlFetchWhitelist), not ${parsed.protocol}//: ${url}`;
  }
  if (parsed.username || parsed.password) {
    return `no user name or password in the address: ${url.replace(/\/\/[^@/]*@/, '//…@')}`;
  }
  if (!/^https:\/\/[^/?#]+\//i.test(url)) {
    return `the address needs a path after the host, at least "/": ${url}/`;
  }
  if (!/\./.test(parsed.hostname) || parsed.hostname.startsWith('*')) {
    return `the address needs a full domain name: ${url}`;
  }
  if (parsed.search || parsed.hash || /[?#]/.test(url)) {
    return `no query or fragment in the address: ${url}`;
  }
  if (!url.endsWith('/')) {
    return `the address must end with "/": ${url}/`;
  }
  if (/\/\//.test(parsed.pathname)) {
    return `the path has an empty segment ("//"): ${url}`;
  }
  if (parsed.href !== url) {
    // The whitelist is compared as text: write the form the URL parser gives, which is also
    // how the add-on's requests will spell it.
    return `write the address as ${parsed.href}`;
  }
  return null;
}

/** The text of src/Deployment.js for `url` (already checked with backendUrlProblem). */
export function deploymentSource(url) {
  return [
    '/**',
    ' * Where this deployment of the add-on finds its backend (`contact-loader serve`).',
    ' *',
    ' * Written by `npm run set-backend -- <url>` (apps-script/tools/set-backend.mjs), together',
    " * with the manifest's urlFetchWhitelist, which must list the same address: edit neither",
    ' * by hand. `npm run push` refuses to push the placeholder (docs/add-on.md, Deploying it).',
    ' */',
    `var CL_BACKEND_URL = '${url}';`,
    '',
  ].join('\n');
}

/** The backend URL a Deployment.js text sets, or `null` when it sets none we can read. */
export function backendUrlOf(source) {
  const m = /^var CL_BACKEND_URL = '([^'\\]*)';$/m.exec(source);
  return m ? m[1] : null;
}

/**
 * The manifest with `url` in its urlFetchWhitelist: the previous backend address (`previous`)
 * and the placeholder are replaced, other entries are kept (the add-on fetches nothing else
 * today, but an entry someone added on purpose is not ours to drop).
 */
export function withBackendUrl(manifest, url, previous = null) {
  const old = new Set([PLACEHOLDER, previous, url]);
  const others = (manifest.urlFetchWhitelist || []).filter((entry) => !old.has(entry));
  return { ...manifest, urlFetchWhitelist: [url, ...others] };
}

/** Reads src/appsscript.json and src/Deployment.js of `srcDir`. */
export function readDeployment(srcDir = SRC_DIR) {
  const manifest = JSON.parse(readFileSync(path.join(srcDir, MANIFEST_FILE), 'utf8'));
  const deploymentPath = path.join(srcDir, DEPLOYMENT_FILE);
  const source = existsSync(deploymentPath) ? readFileSync(deploymentPath, 'utf8') : null;
  return { manifest, source, backendUrl: source === null ? null : backendUrlOf(source) };
}

/**
 * What stands between the files of `srcDir` and a working deployment, as a list of
 * sentences (empty: none). `allowPlaceholder` is for the repository's own consistency test:
 * the committed files keep the placeholder, and must agree all the same.
 */
export function deploymentProblems(srcDir = SRC_DIR, { allowPlaceholder = false } = {}) {
  const problems = [];
  const { manifest, source, backendUrl } = readDeployment(srcDir);
  if (source === null) {
    return [`src/${DEPLOYMENT_FILE} is missing: run npm run set-backend -- https://your-backend.example.org/`];
  }
  if (backendUrl === null) {
    return [`src/${DEPLOYMENT_FILE} does not set CL_BACKEND_URL as set-backend writes it: run npm run set-backend again`];
  }
  const problem = backendUrlProblem(backendUrl);
  if (problem) problems.push(`src/${DEPLOYMENT_FILE}: ${problem}`);
  if (backendUrl === PLACEHOLDER && !allowPlaceholder) {
    problems.push(
      `the backend's address is still the placeholder ${PLACEHOLDER}: ` +
        'run npm run set-backend -- https://your-backend.example.org/ first'
    );
  }
  const whitelist = manifest.urlFetchWhitelist;
  if (!Array.isArray(whitelist) || whitelist.length === 0) {
    problems.push(`src/${MANIFEST_FILE} has no urlFetchWhitelist: a versioned deployment needs one`);
  } else {
    for (const entry of whitelist) {
      if (!/^https:\/\/[^/?#]+\//.test(String(entry))) {
        problems.push(`src/${MANIFEST_FILE}: urlFetchWhitelist entry ${JSON.stringify(entry)} is not an https:// prefix with a path`);
      }
    }
    if (!whitelist.includes(backendUrl)) {
      problems.push(
        `src/${MANIFEST_FILE}'s urlFetchWhitelist does not list the backend ${backendUrl} ` +
          `(it lists ${whitelist.join(', ')}): run npm run set-backend -- ${backendUrl}`
      );
    }
    if (!allowPlaceholder && backendUrl !== PLACEHOLDER && whitelist.includes(PLACEHOLDER)) {
      problems.push(`src/${MANIFEST_FILE}'s urlFetchWhitelist still lists the placeholder ${PLACEHOLDER}`);
    }
  }
  return problems;
}

/** Whether `.clasp.json` of `appDir` still has the placeholder script id (clasp would fail obscurely). */
export function claspProblems(appDir = APP_DIR) {
  const file = path.join(appDir, '.clasp.json');
  if (!existsSync(file)) {
    return ['.clasp.json is missing: run clasp create --type sheets --rootDir src, or clasp clone <scriptId> --rootDir src'];
  }
  const clasp = JSON.parse(readFileSync(file, 'utf8'));
  if (!clasp.scriptId || clasp.scriptId === SCRIPT_ID_PLACEHOLDER) {
    return [`.clasp.json still has the placeholder script id ${SCRIPT_ID_PLACEHOLDER}: put your script's id there`];
  }
  return [];
}

/**
 * Writes `url` into src/Deployment.js and the manifest's urlFetchWhitelist of `srcDir`.
 * Throws with the reason when the URL cannot be a backend's address; writes nothing then.
 */
export function setBackendUrl(url, srcDir = SRC_DIR) {
  const problem = backendUrlProblem(url);
  if (problem) throw new Error(problem);
  const { manifest, backendUrl: previous } = readDeployment(srcDir);
  const next = withBackendUrl(manifest, url, previous);
  writeFileSync(path.join(srcDir, MANIFEST_FILE), JSON.stringify(next, null, 2) + '\n');
  writeFileSync(path.join(srcDir, DEPLOYMENT_FILE), deploymentSource(url));
  return { previous, manifest: next };
}
