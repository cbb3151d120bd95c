/**
 * The targets a list can go to — Chat2Desk and Omnidesk — and what differs between them:
 * their credentials, what a job sends of the settings, the catalog call, the contact sheet's
 * columns. Everything else (jobs, statuses, reports) is the same for both, because the
 * backend speaks one API for every kind (src/serve/openapi.json: `target.kind`).
 */

var CL_TARGET_KINDS = ['chat2desk', 'omnidesk'];
var CL_DEFAULT_TARGET = 'chat2desk';

/** The names people know the targets by, the same in both languages. */
var CL_TARGET_TITLES = { chat2desk: 'Chat2Desk', omnidesk: 'Omnidesk' };

/** The target in the settings (an unknown stored value falls back: the add-on's first target). */
function clTargetKind_(settings) {
  return CL_TARGET_KINDS.indexOf(settings.target) >= 0 ? settings.target : CL_DEFAULT_TARGET;
}

function clTargetTitle_(kind) {
  return CL_TARGET_TITLES[kind] || CL_TARGET_TITLES[CL_DEFAULT_TARGET];
}

/** A per-target text's key: `headers` → `headersChat2desk`, `headersOmnidesk`. */
function clTargetKey_(base, kind) {
  return base + kind.charAt(0).toUpperCase() + kind.slice(1);
}

/**
 * The credentials of `kind` from `input` (what the page typed) over the stored settings,
 * or a user error saying what is missing. Chat2Desk: `{token}`; Omnidesk: `{url, staffEmail,
 * apiKey}` — Omnidesk has no shared address, so the account's own is a credential too.
 */
function clCredentials_(lang, kind, settings, input) {
  input = input || {};
  if (kind === 'omnidesk') {
    var url = input.omnideskUrl ? clOmnideskUrl_(lang, input.omnideskUrl) : settings.omnideskUrl;
    var credentials = {
      url: url,
      staffEmail: clCleanText_(input.staffEmail) || settings.staffEmail,
      apiKey: clCleanText_(input.apiKey) || settings.apiKey,
    };
    if (!credentials.url || !credentials.staffEmail || !credentials.apiKey) {
      throw clUserError_(clText_(lang, 'noOmnideskCredentials'));
    }
    return credentials;
  }
  var token = clCleanText_(input.token) || settings.token;
  if (!token) {
    throw clUserError_(clText_(lang, 'noToken'));
  }
  return { token: token };
}

/**
 * `target` of POST /v1/jobs: the kind, its credentials, and only the settings the kind takes
 * (the backend refuses any other with a 400). Chat2Desk's `base_url` is TARGET_BASE_URL when
 * an administrator set one; Omnidesk's is the account's address, which it cannot do without.
 * Omnidesk has no tags of its own for every row: the sheet's Tags column goes to the data
 * field the settings name.
 */
function clJobTarget_(svc, kind, settings, credentials) {
  var target = { kind: kind, region: settings.region };
  if (kind === 'omnidesk') {
    target.base_url = credentials.url;
    target.staff_email = credentials.staffEmail;
    target.api_key = credentials.apiKey;
    target.tags = [];
    if (settings.tagsField) {
      target.tags_field = settings.tagsField;
    }
    return target;
  }
  target.token = credentials.token;
  target.tags = settings.tags;
  if (settings.channel) {
    target.channel = settings.channel;
  }
  if (settings.transport) {
    target.transport = settings.transport;
  }
  // Only when the user chose one: with a single e-mail channel the backend finds it itself.
  if (settings.emailChannel) {
    target.email_channel = settings.emailChannel;
  }
  var targetBase = clTargetBaseUrl_(svc);
  if (targetBase) {
    target.base_url = targetBase;
  }
  return target;
}

/**
 * GET /v1/targets/{kind}/catalog: each credential in `X-Target-<Name>` (serve/api.rs
 * `catalog`), the address in `X-Target-Base-Url`.
 */
function clFetchCatalog_(svc, lang, kind, credentials) {
  var headers = {};
  if (kind === 'omnidesk') {
    headers['X-Target-Staff-Email'] = credentials.staffEmail;
    headers['X-Target-Api-Key'] = credentials.apiKey;
    headers['X-Target-Base-Url'] = credentials.url;
  } else {
    headers['X-Target-Token'] = credentials.token;
    var targetBase = clTargetBaseUrl_(svc);
    if (targetBase) {
      headers['X-Target-Base-Url'] = targetBase;
    }
  }
  var answer = clBackendCall_(svc, lang, 'get', '/v1/targets/' + kind + '/catalog', {
    headers: headers,
    sent: clSent_(kind, {}, credentials),
  });
  return answer.json || {};
}

/**
 * An Omnidesk account's address as `https://ACCOUNT.omnidesk.ru`, from what people paste: the
 * account's name alone, its host, or any page of it (`…/staff/cases/…`). Only the origin is
 * kept. Which hosts may be called is the backend's decision (Omnidesk's own, and the ones its
 * administrator listed, a sandbox among them), so any http(s) host passes here.
 */
function clOmnideskUrl_(lang, value) {
  var text = String(value || '').trim();
  if (/^[a-z0-9][a-z0-9-]*$/i.test(text)) {
    text = text + '.omnidesk.ru';
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    text = 'https://' + text;
  }
  var match = /^(https?):\/\/([a-z0-9.-]+(?::\d{1,5})?)(?:[\/?#]\S*)?$/i.exec(text);
  if (!match || !/[a-z0-9]\.[a-z0-9]/i.test(match[2])) {
    throw clUserError_(clText_(lang, 'badOmnideskUrl', { value: String(value || '').trim() }));
  }
  return match[1].toLowerCase() + '://' + match[2].toLowerCase();
}

/**
 * The backend's words about a target (in English, written for its command line too), in the
 * user's words where the add-on knows what they mean and what to do in its own settings;
 * any other text as it is. Known by the answer's stable `code` (src/serve/openapi.json:
 * `code` of an error, a job's `error_code`), with the details filled from what the add-on
 * sent (`sent`: the kind, the tags field, the address); `kind` limits a code to one target.
 * A backend older than the codes is known by its texts (`pattern`, the texts of
 * src/targets/omnidesk/ rules.rs, target.rs, client.rs), their details taken from the text.
 * Omnidesk refusing the credentials has no code yet (the backend's pacing stops on it with
 * its text only), so it is known by its text alone.
 */
var CL_TARGET_ERRORS = [
  // rules.rs tags_without_field: names the command line's --tags-field and the add-on's field.
  { code: 'tags_field_missing', pattern: /--tags-field/, key: 'tagsFieldMissing' },
  { code: 'tags_field_unknown', pattern: /has no user data field “([^”]*)” for the tags/, key: 'tagsFieldUnknown', params: ['field'] },
  { code: 'tags_field_not_text', pattern: /the data field “([^”]*)” is not a text field/, key: 'tagsFieldNotText', params: ['field'] },
  { code: 'base_url_not_allowed', kind: 'omnidesk', pattern: /`([^`]*)` is not an Omnidesk account's address/, key: 'omnideskAddress', params: ['url'] },
  { pattern: /Omnidesk refuses the staff e-mail and API key/, key: 'omnideskRefused' },
];

/** What the add-on sent that an error's words may name: `{kind, field, url}`. */
function clSent_(kind, settings, credentials) {
  return {
    kind: kind,
    field: settings.tagsField || '',
    url: (credentials && credentials.url) || settings.omnideskUrl || '',
  };
}

function clTargetErrorText_(lang, text, code, sent) {
  sent = sent || {};
  for (var i = 0; i < CL_TARGET_ERRORS.length; i++) {
    var known = CL_TARGET_ERRORS[i];
    var params = {};
    if (code) {
      if (known.code !== code || (known.kind && known.kind !== sent.kind)) {
        continue;
      }
      (known.params || []).forEach(function (name) {
        params[name] = sent[name];
      });
      return clText_(lang, known.key, params);
    }
    var match = known.pattern.exec(text);
    if (match) {
      (known.params || []).forEach(function (name, j) {
        params[name] = match[j + 1];
      });
      return clText_(lang, known.key, params);
    }
  }
  // A code the add-on has no words of its own for: the backend's text, which says what to fix.
  return text;
}
