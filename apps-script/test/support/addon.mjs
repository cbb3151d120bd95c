// Loads every src/*.js into one `vm` context — Apps Script's single global scope — with the
// fakes of a world (fakes.mjs) as its globals, the way Apps Script provides its services.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

import { createWorld } from './fakes.mjs';
import { DEPLOYMENT_FILE, SRC_DIR, backendUrlProblem, deploymentSource, readDeployment, withBackendUrl } from '../../tools/deployment.mjs';

export { SRC_DIR };

const SERVICES = ['SpreadsheetApp', 'PropertiesService', 'UrlFetchApp', 'ScriptApp', 'HtmlService', 'Utilities', 'Session', 'console', 'Logger'];

/**
 * A world (fakes.mjs `createWorld(options)`) with the add-on loaded into it.
 * `addon.run(name, ...args)` calls a global function as google.script.run does: arguments
 * and answer go through JSON, so the answer is a plain object of this realm (and anything
 * not JSON-able would show). `addon.context` holds every global, helpers included;
 * `addon.fireClockTriggers()` runs the time-driven triggers the add-on made.
 *
 * `backendUrl`: the add-on as `npm run set-backend -- <backendUrl>` would leave it — its
 * src/Deployment.js and its manifest's urlFetchWhitelist written by the command's own
 * functions (tools/deployment.mjs), so the world whitelists what a deployment would. Without
 * it, the files as they are in src/ (the placeholder). `deploymentSource` replaces
 * Deployment.js's text outright (a broken or missing one: `null`).
 */
export function loadAddon(options = {}) {
  const { backendUrl, deploymentSource: source, ...worldOptions } = options;
  const shipped = readDeployment(SRC_DIR);
  let manifest = shipped.manifest;
  let deployment = shipped.source;
  if (backendUrl !== undefined) {
    const problem = backendUrlProblem(backendUrl);
    if (problem) throw new Error(`set-backend would refuse ${backendUrl}: ${problem}`);
    manifest = withBackendUrl(manifest, backendUrl, shipped.backendUrl);
    deployment = deploymentSource(backendUrl);
  }
  if (source !== undefined) deployment = source;
  const world = createWorld({ srcDir: SRC_DIR, manifest, ...worldOptions });
  const globals = {};
  for (const name of SERVICES) globals[name] = world[name];
  const context = vm.createContext(globals);
  const files = readdirSync(SRC_DIR)
    .filter((f) => f.endsWith('.js'))
    .sort();
  for (const file of files) {
    const text = file === DEPLOYMENT_FILE ? deployment : readFileSync(path.join(SRC_DIR, file), 'utf8');
    if (text !== null) vm.runInContext(text, context, { filename: `src/${file}` });
  }
  const run = (name, ...args) => {
    if (typeof context[name] !== 'function') throw new Error(`no global function ${name}`);
    const answer = context[name](...args.map((a) => (a === undefined ? undefined : JSON.parse(JSON.stringify(a)))));
    return answer === undefined ? undefined : JSON.parse(JSON.stringify(answer));
  };
  /**
   * Runs every clock trigger's handler once, as the hour's firing would: as its user, with
   * no active document, with the time-driven event object. A handler must be a global
   * function whose name does not end in `_` (those are the script's private ones).
   */
  const fireClockTriggers = () => {
    for (const trigger of world.triggers.filter((t) => t.getEventType() === 'CLOCK')) {
      const name = trigger.getHandlerFunction();
      if (name.endsWith('_') || typeof context[name] !== 'function') throw new Error(`a trigger names ${name}, which it cannot run`);
      world.inTrigger = true;
      try {
        context[name]({ authMode: 'FULL', triggerUid: trigger.getUniqueId() });
      } finally {
        world.inTrigger = false;
      }
    }
  };
  return { world, context, run, manifest, fireClockTriggers };
}
