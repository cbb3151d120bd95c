// Synchronous real HTTP for the fake UrlFetchApp: Apps Script's fetch blocks, and the
// add-on's code is written for that, so the e2e test cannot hand it a promise. Each request
// runs `fetch` in a child Node process and waits for it.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fetch-child.mjs');

/** A transport for fakes.mjs' UrlFetchApp: `{status, headers, body}` (body: bytes), or throws when no answer came. */
export function httpSync(request, { timeoutMs = 60000 } = {}) {
  const out = execFileSync(process.execPath, [CHILD], {
    input: JSON.stringify({ ...request, timeoutMs }),
    timeout: timeoutMs + 5000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const answer = JSON.parse(out.toString('utf8'));
  if (answer.error) throw new Error(`no answer from ${request.url}: ${answer.error}`);
  return { status: answer.status, headers: answer.headers, body: new Uint8Array(Buffer.from(answer.bodyBase64, 'base64')) };
}
