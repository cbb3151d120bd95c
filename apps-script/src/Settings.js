/**
 * The user's settings: the Chat2Desk API token and the defaults every row gets (channel,
 * messenger, tags, region), and the channel e-mail contacts go to when theirs takes no e-mail.
 *
 * google-sheets.md: per-user secrets live in PropertiesService.getUserProperties(), not in
 * cells — user properties are visible to this user and this script only. The token goes
 * back to the sidebar masked, never whole (CONTRACT.md: getSettings).
 */

var CL_TOKEN_KEY = 'CL_TARGET_TOKEN';
var CL_DEFAULTS_KEY = 'CL_DEFAULTS';
var CL_DEFAULT_REGION = 'RU';

/** The stored settings, token included: for this file and Jobs.js only, never returned as is. */
function clReadSettings_(svc) {
  var store = svc.PropertiesService.getUserProperties();
  var defaults = clParseJson_(store.getProperty(CL_DEFAULTS_KEY) || '{}') || {};
  return {
    token: store.getProperty(CL_TOKEN_KEY) || '',
    channel: defaults.channel || null,
    transport: defaults.transport || null,
    emailChannel: defaults.emailChannel || null,
    tags: Array.isArray(defaults.tags) ? defaults.tags : [],
    region: defaults.region || CL_DEFAULT_REGION,
  };
}

/** What getSettings() answers (CONTRACT.md): everything but the token, which is masked. */
function clSettingsView_(svc, lang) {
  var settings = clReadSettings_(svc);
  return {
    ok: true,
    tokenSet: settings.token !== '',
    tokenMasked: clMaskToken_(settings.token),
    channel: settings.channel,
    transport: settings.transport,
    emailChannel: settings.emailChannel,
    tags: settings.tags,
    region: settings.region,
    lang: lang,
  };
}

/**
 * `••••` and the last four characters, so a user can tell which token is stored. A short
 * token shows nothing of itself: four characters of eight would give half of it away.
 */
function clMaskToken_(token) {
  if (!token) {
    return '';
  }
  return token.length >= 12 ? '••••' + token.slice(-4) : '••••';
}

/**
 * Stores what `input` gives (CONTRACT.md: saveSettings). An absent or empty token keeps the
 * stored one; an absent field keeps its value; `null` or '' clears channel, messenger and
 * e-mail channel. Channels are kept as the sidebar sends them (an id, as a string: it
 * survives a rename, and the backend takes an id or a name).
 */
function clSaveSettings_(svc, lang, input) {
  input = input || {};
  var current = clReadSettings_(svc);
  var next = {
    channel: current.channel,
    transport: current.transport,
    emailChannel: current.emailChannel,
    tags: current.tags,
    region: current.region,
  };
  if (input.channel !== undefined) {
    next.channel = clCleanText_(input.channel);
  }
  if (input.emailChannel !== undefined) {
    next.emailChannel = clCleanText_(input.emailChannel);
  }
  if (input.transport !== undefined) {
    var transport = clCleanText_(input.transport);
    next.transport = transport && transport.toLowerCase();
  }
  if (input.tags !== undefined) {
    next.tags = clCleanTags_(input.tags);
  }
  if (input.region !== undefined) {
    var region = (clCleanText_(input.region) || CL_DEFAULT_REGION).toUpperCase();
    if (!/^[A-Z]{2}$/.test(region)) {
      throw clUserError_(clText_(lang, 'badRegion'));
    }
    next.region = region;
  }
  var store = svc.PropertiesService.getUserProperties();
  var token = clCleanText_(input.token);
  if (token) {
    store.setProperty(CL_TOKEN_KEY, token);
  }
  store.setProperty(CL_DEFAULTS_KEY, JSON.stringify(next));
  return clSettingsView_(svc, lang);
}

/** A trimmed string, or `null` for null, undefined and blanks. */
function clCleanText_(value) {
  if (value === null || value === undefined) {
    return null;
  }
  var text = String(value).trim();
  return text === '' ? null : text;
}

/** Tag labels: trimmed, no blanks, no repeats. A string is split on commas as the Tags column is. */
function clCleanTags_(tags) {
  var list = Array.isArray(tags) ? tags : String(tags || '').split(',');
  var seen = {};
  return list
    .map(clCleanText_)
    .filter(function (tag) {
      if (!tag || seen[tag]) {
        return false;
      }
      seen[tag] = true;
      return true;
    });
}

/**
 * The account's catalog through the backend: channels, messengers, tags and the requests
 * left this month (serve/api.rs `catalog`). The token goes in `X-Target-Token`, a sandbox's
 * address in `X-Target-Base-Url` only when TARGET_BASE_URL is set.
 */
function clFetchCatalog_(svc, lang, token) {
  var headers = { 'X-Target-Token': token };
  var targetBase = clTargetBaseUrl_(svc);
  if (targetBase) {
    headers['X-Target-Base-Url'] = targetBase;
  }
  var answer = clBackendCall_(svc, lang, 'get', '/v1/targets/chat2desk/catalog', { headers: headers });
  return answer.json || {};
}

/**
 * checkConnection(token?) (CONTRACT.md): the given token, or the stored one. `requestsLeft`
 * stays null when the account does not say (chat2desk.md: `api_info` fields vary), so the
 * sidebar can say "unknown" rather than 0.
 */
function clCheckConnection_(svc, lang, token) {
  clBackendBase_(svc, lang);
  var useToken = clCleanText_(token) || clReadSettings_(svc).token;
  if (!useToken) {
    throw clUserError_(clText_(lang, 'noToken'));
  }
  var catalog = clFetchCatalog_(svc, lang, useToken);
  return {
    ok: true,
    companyName: catalog.company_name || null,
    requestsLeft: typeof catalog.requests_left === 'number' ? catalog.requests_left : null,
    channels: (catalog.channels || []).map(function (channel) {
      return { id: channel.id, name: channel.name, transports: channel.transports || [] };
    }),
    transports: catalog.transports || [],
    tags: (catalog.tags || []).map(function (tag) {
      return { id: tag.id, label: tag.label, group_name: tag.group_name || null };
    }),
  };
}
