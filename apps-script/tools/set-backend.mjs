// npm run set-backend -- https://loader.example.org/
//
// Writes the backend's address into src/Deployment.js (what the add-on calls) and into the
// manifest's urlFetchWhitelist (what Apps Script lets it call), so the two cannot disagree.
// See deployment.mjs for what an address must look like, and docs/add-on.md for the steps.
// `--app-dir DIR` works on another copy of apps-script/ (the tests use it).

import path from 'node:path';

import { APP_DIR, backendUrlProblem, setBackendUrl, PLACEHOLDER } from './deployment.mjs';

const args = process.argv.slice(2);
let appDir = APP_DIR;
const at = args.indexOf('--app-dir');
if (at >= 0) {
  appDir = path.resolve(args[at + 1] || '.');
  args.splice(at, 2);
}
if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') {
  console.error('usage: npm run set-backend -- https://loader.example.org/');
  console.error("  writes the backend's address into src/Deployment.js and src/appsscript.json (urlFetchWhitelist)");
  process.exit(2);
}
const url = args[0];
const problem = backendUrlProblem(url);
if (problem) {
  console.error(`set-backend: ${problem}`);
  process.exit(1);
}
const { previous, manifest } = setBackendUrl(url, path.join(appDir, 'src'));
console.log(`set-backend: the add-on calls ${url}${previous && previous !== url ? ` (was ${previous})` : ''}`);
console.log(`  src/Deployment.js: CL_BACKEND_URL = '${url}'`);
console.log(`  src/appsscript.json: urlFetchWhitelist = ${JSON.stringify(manifest.urlFetchWhitelist)}`);
if (url === PLACEHOLDER) {
  console.log('  (the placeholder, as committed: npm run push refuses to push it)');
}
