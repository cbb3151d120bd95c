/**
 * Calls to the backend (`contact-loader serve`) and the mapping of its failures to words a
 * marketer can act on — in this one place, so every screen says the same thing.
 *
 * Where the backend is: the script property BACKEND_URL (set by whoever deploys the add-on;
 * the manifest's `urlFetchWhitelist` must list the same HTTPS prefix — appsscript.json ships
 * the placeholder `https://contact-loader.example.com/`, replace it with the real address).
 * The optional script property TARGET_BASE_URL points the target at a sandbox or a
 * self-hosted Chat2Desk (CONTRACT.md).
 *
 * Secrets: the identity token, the OAuth token and the Chat2Desk token travel in headers or
 * the JSON body only — never in a URL, a log line, an error text or a cell.
 */

/** An error whose message is meant for the user; the public functions turn it into `{ok: false, error}`. */
function clUserError_(message) {
  var error = new Error(message);
  error.clUser = true;
  return error;
}

/**
 * Runs `fn(svc, lang)` for a public function: what it returns goes back as is, a user error
 * becomes `{ok: false, error}` (CONTRACT.md: failures a user can act on are answered, not
 * thrown), anything else is logged and answered with a plain "something went wrong".
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
    // Our own code never puts a token into an error, and UrlFetchApp's errors name only the
    // URL (which carries no secret), so the message is safe to log and to show.
    var detail = (e && e.message) || String(e);
    console.error('contact-loader: ' + ((e && e.stack) || detail));
    return { ok: false, error: clText_(lang, 'unexpected', { detail: detail }) };
  }
}

/** A script property, trimmed; `null` when unset or blank. */
function clScriptProperty_(svc, key) {
  var value = svc.PropertiesService.getScriptProperties().getProperty(key);
  value = value === null || value === undefined ? '' : String(value).trim();
  return value === '' ? null : value;
}

/** The backend's base URL without a trailing slash, or a user error for the administrator. */
function clBackendBase_(svc, lang) {
  var url = clScriptProperty_(svc, 'BACKEND_URL');
  if (!url) {
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
 * `notFound` (the text for a 404, which means different things per resource).
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
    // With muteHttpExceptions only a failure to get any answer throws (DNS, refused, timeout).
    console.warn('contact-loader: ' + method.toUpperCase() + ' ' + path + ' got no answer');
    throw clUserError_(clText_(lang, 'unreachable'));
  }
  var status = response.getResponseCode();
  var text = response.getContentText();
  if (status >= 200 && status < 300) {
    return { status: status, text: text, json: clParseJson_(text) };
  }
  console.warn('contact-loader: ' + method.toUpperCase() + ' ' + path + ' answered ' + status);
  var error = clUserError_(clBackendErrorText_(lang, status, text, options.notFound));
  error.status = status;
  throw error;
}

/**
 * The words for a failed answer. serve/api.rs answers `{error: "..."}`: 401 when the caller
 * is not recognised, 404 for an unknown job, 422 with a text written for the user, 500 when
 * it failed itself. A proxy in front of it may answer 502/503/504 with HTML.
 */
function clBackendErrorText_(lang, status, text, notFound) {
  if (status === 401 || status === 403) {
    return clText_(lang, 'signIn');
  }
  if (status === 404) {
    return notFound || clText_(lang, 'jobNotFound');
  }
  if (status === 429 || status >= 500) {
    return clText_(lang, 'unreachable');
  }
  var body = clParseJson_(text);
  if (body && typeof body.error === 'string' && body.error.trim() !== '') {
    return body.error.trim();
  }
  return clText_(lang, 'refused', { code: status });
}

/** JSON or `null`: an error page from a proxy is not JSON. */
function clParseJson_(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}
