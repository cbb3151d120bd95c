// npm run check-deploy (and npm run push, before clasp push): refuses a project that would not
// work once pushed — the placeholder backend address, src/Deployment.js and the manifest's
// urlFetchWhitelist disagreeing, or .clasp.json without a script id. Exits 1 with the reasons.
// `--app-dir DIR` checks another copy of apps-script/ (the tests use it).

import path from 'node:path';

import { APP_DIR, claspProblems, deploymentProblems } from './deployment.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--app-dir');
const appDir = at >= 0 ? path.resolve(args[at + 1] || '.') : APP_DIR;

const problems = [...deploymentProblems(path.join(appDir, 'src')), ...claspProblems(appDir)];
if (problems.length > 0) {
  console.error('check-deploy: not pushing:');
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log('check-deploy: src/Deployment.js and the urlFetchWhitelist agree, and name a real backend');
