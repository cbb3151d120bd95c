/**
 * The targets a list can go to — Chat2Desk, Omnidesk and Intercom — and what differs between
 * them: their credentials, what a job sends of the settings, the catalog call, the contact
 * sheet's columns. Everything else (jobs, statuses, reports) is the same for all, because the
 * backend speaks one API for every kind (src/serve/openapi.json: `target.kind`).
 */

var CL_TARGET_KINDS = ['chat2desk', 'omnidesk', 'intercom'];
var CL_DEFAULT_TARGET = 'chat2desk';

/** The names people know the targets by, the same in both languages. */
var CL_TARGET_TITLES = { chat2desk: 'Chat2Desk', omnidesk: 'Omnidesk', intercom: 'Intercom' };

/**
 * Intercom keeps a workspace's data in one region, each with its own API host
 * (src/targets/intercom/api.rs `HOSTS`); the token works only on its workspace's. The first
 * is the default, as it is Intercom's.
 */
var CL_INTERCOM_HOSTS = {
  US: 'https://api.intercom.io',
  EU: 'https://api.eu.intercom.io',
  AU: 'https://api.au.intercom.io',
};
var CL_DEFAULT_INTERCOM_REGION = 'US';

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
 * apiKey}` — Omnidesk has no shared address, so the account's own is a credential too;
 * Intercom: `{token, url}`, the token and its workspace's regional host.
 */
function clCredentials_(svc, lang, kind, settings, input) {
  input = input || {};
  if (kind === 'intercom') {
    var intercomToken = clCleanText_(input.intercomToken) || settings.intercomToken;
    if (!intercomToken) {
      throw clUserError_(clText_(lang, 'noIntercomToken'));
    }
    var region = input.intercomRegion ? clIntercomRegion_(lang, input.intercomRegion) : settings.intercomRegion;
    return { token: intercomToken, url: clIntercomBaseUrl_(svc, region) };
  }
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
 * an administrator set one; Omnidesk's is the account's address, which it cannot do without;
 * Intercom's the region's host (or INTERCOM_BASE_URL). Omnidesk has no tags of its own for
 * every row: the sheet's Tags column goes to the data field the settings name; its `plays`
 * are the account's differences the settings name, when they name any.
 */
function clJobTarget_(svc, kind, settings, credentials) {
  var target = { kind: kind, region: settings.region };
  if (kind === 'intercom') {
    target.token = credentials.token;
    target.base_url = credentials.url;
    // Tags come from the sheet's Tags column only: the stored tags are Chat2Desk's labels.
    target.tags = [];
    // Both are the user's consent to a write the backend would not make on its own.
    target.create_attributes = settings.createAttributes;
    target.unarchive = settings.unarchive;
    return target;
  }
  if (kind === 'omnidesk') {
    target.base_url = credentials.url;
    target.staff_email = credentials.staffEmail;
    target.api_key = credentials.apiKey;
    target.tags = [];
    if (settings.tagsField) {
      target.tags_field = settings.tagsField;
    }
    if (settings.plays) {
      target.plays = settings.plays;
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
  if (kind === 'intercom') {
    headers['X-Target-Token'] = credentials.token;
    headers['X-Target-Base-Url'] = credentials.url;
  } else if (kind === 'omnidesk') {
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

/** A region of CL_INTERCOM_HOSTS from what the page sends (`eu`, ` EU `), or a user error. */
function clIntercomRegion_(lang, value) {
  var region = String(value || '').trim().toUpperCase();
  if (!CL_INTERCOM_HOSTS[region]) {
    throw clUserError_(clText_(lang, 'badIntercomRegion', { value: String(value || '').trim() }));
  }
  return region;
}

/**
 * The API host of an Intercom region, or the script property INTERCOM_BASE_URL when an
 * administrator set one (a sandbox, a proxy): that one serves every region, as the backend
 * calls only hosts it allows (its `target_base_urls`).
 */
function clIntercomBaseUrl_(svc, region) {
  return clScriptProperty_(svc, 'INTERCOM_BASE_URL') || CL_INTERCOM_HOSTS[region] || CL_INTERCOM_HOSTS[CL_DEFAULT_INTERCOM_REGION];
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
 * A refused credential is `credentials_refused`, with the target's own words for it.
 */
var CL_TARGET_ERRORS = [
  // rules.rs tags_without_field: names the command line's --tags-field and the add-on's field.
  { code: 'tags_field_missing', pattern: /--tags-field/, key: 'tagsFieldMissing' },
  { code: 'tags_field_unknown', pattern: /has no user data field “([^”]*)” for the tags/, key: 'tagsFieldUnknown', params: ['field'] },
  { code: 'tags_field_not_text', pattern: /the data field “([^”]*)” is not a text field/, key: 'tagsFieldNotText', params: ['field'] },
  { code: 'base_url_not_allowed', kind: 'omnidesk', pattern: /`([^`]*)` is not an Omnidesk account's address/, key: 'omnideskAddress', params: ['url'] },
  // src/targets/mod.rs `settings` of rules.rs `plays`: a name the backend does not know, under
  // the code of any refused request, so only this text makes it this one (`whenSaid`).
  { code: 'invalid_request', kind: 'omnidesk', pattern: /Omnidesk settings: unknown variant `([^`]*)`/, key: 'playsUnknown', params: ['name'], fromText: true, whenSaid: true },
  // rules.rs unknown_columns: the columns are in the text only, as with attributes_missing.
  { code: 'columns_unknown', kind: 'omnidesk', pattern: /the list has columns Omnidesk has no user data field for: (.+?)\. Create each/, key: 'columnsUnknown', params: ['columns'], fromText: true },
  // The catalog's or the job's `credentials_refused` (src/load/mod.rs catalog_failure).
  { code: 'credentials_refused', kind: 'omnidesk', pattern: /Omnidesk refuses the staff e-mail and API key/, key: 'omnideskRefused' },
  // target.rs ready / rules.rs missing_attributes: the names are in the text only (the add-on
  // does not know which attributes the sheet fills), so they are read from it even with the
  // code; a reworded text gets the same words without them.
  { code: 'attributes_missing', kind: 'intercom', pattern: /the Intercom workspace does not have: (.+?)\. Create each/, key: 'attributesMissing', params: ['names'], fromText: true },
  { code: 'attributes_full', kind: 'intercom', pattern: /new custom attributes and the workspace has \d+ of the/, key: 'attributesFull' },
  { code: 'base_url_not_allowed', kind: 'intercom', pattern: /`([^`]*)` is not Intercom's API/, key: 'intercomHost', params: ['url'] },
  { code: 'credentials_refused', kind: 'intercom', pattern: /Intercom refuses the access token/, key: 'intercomRefused' },
];

/** What the add-on sent that an error's words may name: `{kind, field, url}`. */
function clSent_(kind, settings, credentials) {
  return {
    kind: kind,
    field: settings.tagsField || '',
    url: (credentials && credentials.url) || (kind === 'omnidesk' && settings.omnideskUrl) || '',
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
      if (known.fromText) {
        var said = known.pattern.exec(text);
        if (!said && known.whenSaid) {
          continue;
        }
        if (!said) {
          return clText_(lang, known.key + 'Unnamed');
        }
        (known.params || []).forEach(function (name, j) {
          params[name] = said[j + 1];
        });
        return clText_(lang, known.key, params);
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
