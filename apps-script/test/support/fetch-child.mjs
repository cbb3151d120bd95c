// Run by http-sync.mjs in a child process: one HTTP request read from stdin as JSON
// ({url, method, headers, body}), its answer written to stdout as JSON
// ({status, headers, bodyBase64} — the body's bytes as they came, for the fake HTTPResponse
// to decode with the charset it is asked for — or {error} when no answer came). The request
// goes through stdin so that no token shows in a process list.

let input = '';
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
let answer;
try {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body === null ? undefined : request.body,
    redirect: 'follow',
    signal: AbortSignal.timeout(request.timeoutMs),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  answer = { status: response.status, headers: Object.fromEntries(response.headers), bodyBase64: bytes.toString('base64') };
} catch (e) {
  answer = { error: String((e && e.cause && e.cause.code) || (e && e.name) || e) };
}
process.stdout.write(JSON.stringify(answer));
