/**
 * Calls to the backend (`contact-loader serve`) and the mapping of its failures to words a
 * marketer can act on — in this one place, so every screen says the same thing.
 *
 * Where the backend is: CL_BACKEND_URL in Deployment.js, which `npm run set-backend -- <url>`
 * writes together with the manifest's urlFetchWhitelist (Apps Script refuses to fetch a URL
 * that list does not cover), so the address lives in one place. The repository keeps the
 * placeholder `https://contact-loader.example.com/`; `npm run push` refuses to push it, and
 * should it be pushed anyway, every action says the add-on is not set up. The optional script
 * property TARGET_BASE_URL points Chat2Desk at a sandbox or a self-hosted Chat2Desk, and
 * INTERCOM_BASE_URL Intercom at a sandbox or a proxy (CONTRACT.md); an Omnidesk account's
 * address is the user's own setting, and so is an Intercom workspace's region.
 *
 * Secrets: the identity token, the OAuth token, the Chat2Desk and Intercom tokens and the
 * Omnidesk API key travel in headers or the JSON body only — never in a URL, a log line, an
 * error text or a cell.
 */

/** The address the repository ships with (apps-script/tools/deployment.mjs PLACEHOLDER). */
var CL_BACKEND_PLACEHOLDER = 'https://contact-loader.example.com/';

/** An error whose message is meant for the user; the public functions turn it into `{ok: false, error}`. */
function clUserError_(message) {
  var error = new Error(message);
  error.clUser = true;
  return error;
}

/**
 * Runs `fn(svc, lang)` for a public function: what it returns goes back as is, a user error
 * becomes `{ok: false, error}` (CONTRACT.md: failures a user can act on are answered, not
 * thrown), anything else is logged and answered with its own words when Apps Script said
 * why (authorization, a quota), else with a plain "something went wrong".
 */
function clAnswer_(svc, fn) {
  var lang = 'en';
  try {
    lang = clLangOfSpreadsheet_(svc.SpreadsheetApp.getActive());
    return fn(svc, lang);
  } catch (e) {
    if (e && e.clUser) {
      return { ok: false, error: e.message };
    }
    // Our own code never puts a token into an error, and Apps Script's errors name a
    // method, a scope or a URL (which carries no secret), so the message is safe to log and
    // to show. console.error reaches the project's Cloud Logging.
    var detail = (e && e.message) || String(e);
    console.error('contact-loader: ' + ((e && e.stack) || detail));
    var kind = clServiceFailure_(detail);
    if (kind === 'authorization' || kind === 'quota') {
      return { ok: false, error: clServiceFailureText_(lang, kind, null) };
    }
    return { ok: false, error: clText_(lang, 'unexpected', { detail: detail }) };
  }
}

/**
 * What an exception of an Apps Script service says went wrong (google-sheets.md: with
 * muteHttpExceptions, UrlFetchApp.fetch still throws for these, each needing its own words):
 * - 'allowlist': the URL is not covered by the manifest's urlFetchWhitelist ("Request to … failed
 *   because the URL has not been whitelisted in the script manifest."), or a Workspace admin's
 *   own allowlist refused it ("… are not permitted by your admin");
 * - 'quota': "Service invoked too many times for one day: urlfetch." (20,000 calls a day for a
 *   consumer account, 100,000 for Workspace);
 * - 'authorization': "You do not have permission to call UrlFetchApp.fetch. Required
 *   permissions: …", or "Authorization is required to perform that action.";
 * - null: anything else — for a fetch, no answer at all (DNS, refused, timeout).
 */
function clServiceFailure_(message) {
  var text = String(message || '');
  if (/whitelist|allowlist|not permitted by your admin|does not match any of the prefixes/i.test(text)) {
    return 'allowlist';
  }
  // Only the day's UrlFetch quota: "…too many times in a short time…" is a rate, which a
  // retry in a moment cures, and another service's day is not the fetch's.
  if (/too many times for one day: urlfetch/i.test(text)) {
    return 'quota';
  }
  if (/do not have permission|required permissions|authori[sz]ation is required/i.test(text)) {
    return 'authorization';
  }
  return null;
}

/** The user's words for a clServiceFailure_ kind; `base` is the backend's address, for the allowlist. */
function clServiceFailureText_(lang, kind, base) {
  if (kind === 'allowlist') {
    return clText_(lang, 'notAllowlisted', { url: base });
  }
  if (kind === 'quota') {
    return clText_(lang, 'fetchQuota');
  }
  if (kind === 'authorization') {
    return clText_(lang, 'authorize');
  }
  return clText_(lang, 'unreachable');
}

/** `text` with every secret of `secrets` (a list of strings) replaced, for a log line. */
function clScrub_(text, secrets) {
  var out = String(text);
  secrets.forEach(function (secret) {
    if (typeof secret === 'string' && secret.length >= 8) {
      out = out.split(secret).join('[secret]');
    }
  });
  return out;
}

/** The values of every field named like a token or a key in `value` (the JSON body of a call). */
function clTokensIn_(value) {
  var found = [];
  if (value && typeof value === 'object') {
    Object.keys(value).forEach(function (key) {
      if (/token|api_?key/i.test(key) && typeof value[key] === 'string') {
        found.push(value[key]);
      } else {
        found = found.concat(clTokensIn_(value[key]));
      }
    });
  }
  return found;
}

/** A script property, trimmed; `null` when unset or blank. */
function clScriptProperty_(svc, key) {
  var value = svc.PropertiesService.getScriptProperties().getProperty(key);
  value = value === null || value === undefined ? '' : String(value).trim();
  return value === '' ? null : value;
}

/**
 * The backend's base URL without its trailing slash (Deployment.js), or a user error for the
 * administrator while it is missing or still the placeholder.
 */
function clBackendBase_(svc, lang) {
  var url = typeof CL_BACKEND_URL === 'string' ? CL_BACKEND_URL.trim() : '';
  if (!url || url === CL_BACKEND_PLACEHOLDER) {
    throw clUserError_(clText_(lang, 'noBackend'));
  }
  return url.replace(/\/+$/, '');
}

/** The target's base URL (a sandbox) when the script property TARGET_BASE_URL is set, else `null`. */
function clTargetBaseUrl_(svc) {
  return clScriptProperty_(svc, 'TARGET_BASE_URL');
}

/**
 * One call to the backend. `options`: `body` (sent as JSON), `headers` (extra ones),
 * `notFound` (the text for a 404, which means different things per resource), `sent` (what
 * was sent that the words of a refusal may name: Targets.js clSent_).
 * Returns `{status, text, json}` for a 2xx answer; throws a user error otherwise.
 */
function clBackendCall_(svc, lang, method, path, options) {
  options = options || {};
  var base = clBackendBase_(svc, lang);
  // google-sheets.md: the backend verifies this OIDC token against Google's keys. Without the
  // `openid` scope Apps Script gives none: the user cannot be told apart, so it is a sign-in problem.
  var identity = svc.ScriptApp.getIdentityToken();
  if (!identity) {
    throw clUserError_(clText_(lang, 'signIn'));
  }
  var headers = { Authorization: 'Bearer ' + identity };
  Object.keys(options.headers || {}).forEach(function (name) {
    headers[name] = options.headers[name];
  });
  var params = { method: method, headers: headers, muteHttpExceptions: true };
  if (options.body !== undefined) {
    params.contentType = 'application/json';
    params.payload = JSON.stringify(options.body);
  }
  var response;
  try {
    response = svc.UrlFetchApp.fetch(base + path, params);
  } catch (e) {
    // With muteHttpExceptions, fetch throws only when no answer came (DNS, refused, timeout)
    // or Apps Script refused the call: not whitelisted, the day's quota spent, no
    // authorization (google-sheets.md). The message names the URL, never a header, but is
    // scrubbed of every token all the same before it is logged.
    var secrets = [identity].concat(clTokensIn_(options.body));
    Object.keys(headers).forEach(function (name) {
      secrets.push(String(headers[name]));
    });
    var detail = clScrub_((e && e.message) || String(e), secrets);
    var kind = clServiceFailure_(detail);
    console.error('contact-loader: ' + method.toUpperCase() + ' ' + path + ' got no answer (' + (kind || 'network') + '): ' + detail);
    throw clUserError_(clServiceFailureText_(lang, kind, base + '/'));
  }
  var status = response.getResponseCode();
  // The backend writes UTF-8 (Cyrillic texts, sheet names). Without an argument
  // getContentText() goes by the answer's Content-Type, which for JSON often names no
  // charset at all: say which one.
  var text = response.getContentText('UTF-8');
  if (status >= 200 && status < 300) {
    return { status: status, text: text, json: clParseJson_(text) };
  }
  console.warn('contact-loader: ' + method.toUpperCase() + ' ' + path + ' answered ' + status);
  var error = clUserError_(clBackendErrorText_(lang, status, text, options));
  error.status = status;
  throw error;
}

/**
 * The words for a failed answer. serve/api.rs answers `{error: "..."}`: 401 when the caller
 * is not recognised, 403 when Google says the user cannot open the sheet (with the reason,
 * written for the user or the administrator), 404 for an unknown job, 409 when another
 * user's job holds the sheet, 422 with a text written for the user, 429 when the user sent
 * too much at once, 500 when it failed itself. A proxy in front of it may answer 403 or
 * 502/503/504 with HTML.
 */
function clBackendErrorText_(lang, status, text, options) {
  var body = clParseJson_(text);
  var said = body && typeof body.error === 'string' && body.error.trim() !== '' ? body.error.trim() : null;
  // Beside the text, a stable code (src/serve/openapi.json `Error`); an older backend has none.
  var code = body && typeof body.code === 'string' ? body.code : null;
  if (status === 401 || (status === 403 && !said)) {
    return clText_(lang, 'signIn');
  }
  if (status === 404) {
    return options.notFound || clText_(lang, 'jobNotFound');
  }
  if (status === 409) {
    return clText_(lang, 'sheetBusy');
  }
  if (status === 429) {
    return clText_(lang, 'tooMany');
  }
  if (status >= 500) {
    return clText_(lang, 'unreachable');
  }
  return said ? clTargetErrorText_(lang, said, code, options.sent) : clText_(lang, 'refused', { code: status });
}

/** JSON or `null`: an error page from a proxy is not JSON. */
function clParseJson_(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}
