// Loads every src/*.js into one `vm` context — Apps Script's single global scope — with the
// fakes of a world (fakes.mjs) as its globals, the way Apps Script provides its services.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

import { createWorld } from './fakes.mjs';

export const SRC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

const SERVICES = ['SpreadsheetApp', 'PropertiesService', 'UrlFetchApp', 'ScriptApp', 'HtmlService', 'Utilities', 'Session', 'console', 'Logger'];

/**
 * A world (fakes.mjs `createWorld(options)`) with the add-on loaded into it.
 * `addon.run(name, ...args)` calls a global function as google.script.run does: arguments
 * and answer go through JSON, so the answer is a plain object of this realm (and anything
 * not JSON-able would show). `addon.context` holds every global, helpers included.
 */
export function loadAddon(options = {}) {
  const world = createWorld({ srcDir: SRC_DIR, ...options });
  const globals = {};
  for (const name of SERVICES) globals[name] = world[name];
  const context = vm.createContext(globals);
  const files = readdirSync(SRC_DIR)
    .filter((f) => f.endsWith('.js'))
    .sort();
  for (const file of files) {
    vm.runInContext(readFileSync(path.join(SRC_DIR, file), 'utf8'), context, { filename: `src/${file}` });
  }
  const run = (name, ...args) => {
    if (typeof context[name] !== 'function') throw new Error(`no global function ${name}`);
    const answer = context[name](...args.map((a) => (a === undefined ? undefined : JSON.parse(JSON.stringify(a)))));
    return answer === undefined ? undefined : JSON.parse(JSON.stringify(answer));
  };
  return { world, context, run };
}
