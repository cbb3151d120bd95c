/**
 * The user's settings: the target (Chat2Desk, Omnidesk or Intercom) and each one's
 * credentials — the Chat2Desk API token; the Omnidesk account's address, staff e-mail and API
 * key; the Intercom access token and its workspace's region — kept side by side, so switching
 * back and forth loses none; the defaults every row gets (Chat2Desk: channel, messenger, tags,
 * e-mail channel; Omnidesk: the data field tags go to, and how the account differs from what
 * the loader assumes, `plays`, as `contact-loader probe` finds it; Intercom: whether missing
 * attributes are created and archived contacts unarchived; all: the region of phone numbers).
 *
 * google-sheets.md: per-user secrets live in PropertiesService.getUserProperties(), not in
 * cells — user properties are visible to this user and this script only. The tokens and the
 * API key go back to the sidebar masked, never whole (CONTRACT.md: getSettings).
 */

var CL_TOKEN_KEY = 'CL_TARGET_TOKEN';
var CL_API_KEY_KEY = 'CL_OMNIDESK_API_KEY';
var CL_INTERCOM_TOKEN_KEY = 'CL_INTERCOM_TOKEN';
var CL_DEFAULTS_KEY = 'CL_DEFAULTS';
var CL_DEFAULT_REGION = 'RU';

/** The stored settings, secrets included: for the server code only, never returned as is. */
function clReadSettings_(svc) {
  var store = svc.PropertiesService.getUserProperties();
  var defaults = clParseJson_(store.getProperty(CL_DEFAULTS_KEY) || '{}') || {};
  return {
    target: clTargetKind_(defaults),
    token: store.getProperty(CL_TOKEN_KEY) || '',
    channel: defaults.channel || null,
    transport: defaults.transport || null,
    emailChannel: defaults.emailChannel || null,
    tags: Array.isArray(defaults.tags) ? defaults.tags : [],
    region: defaults.region || CL_DEFAULT_REGION,
    omnideskUrl: defaults.omnideskUrl || null,
    staffEmail: defaults.staffEmail || null,
    apiKey: store.getProperty(CL_API_KEY_KEY) || '',
    tagsField: defaults.tagsField || null,
    plays: defaults.plays || null,
    intercomToken: store.getProperty(CL_INTERCOM_TOKEN_KEY) || '',
    intercomRegion: CL_INTERCOM_HOSTS[defaults.intercomRegion] ? defaults.intercomRegion : CL_DEFAULT_INTERCOM_REGION,
    createAttributes: defaults.createAttributes === true,
    unarchive: defaults.unarchive === true,
  };
}

/** What getSettings() answers (CONTRACT.md): everything but the secrets, which are masked. */
function clSettingsView_(svc, lang) {
  var settings = clReadSettings_(svc);
  return {
    ok: true,
    target: settings.target,
    tokenSet: settings.token !== '',
    tokenMasked: clMaskToken_(settings.token),
    channel: settings.channel,
    transport: settings.transport,
    emailChannel: settings.emailChannel,
    tags: settings.tags,
    region: settings.region,
    omnideskUrl: settings.omnideskUrl,
    staffEmail: settings.staffEmail,
    apiKeySet: settings.apiKey !== '',
    apiKeyMasked: clMaskToken_(settings.apiKey),
    tagsField: settings.tagsField,
    plays: settings.plays,
    intercomTokenSet: settings.intercomToken !== '',
    intercomTokenMasked: clMaskToken_(settings.intercomToken),
    intercomRegion: settings.intercomRegion,
    createAttributes: settings.createAttributes,
    unarchive: settings.unarchive,
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
 * Stores what `input` gives (CONTRACT.md: saveSettings). An absent or empty token or API key
 * keeps the stored one; an absent field keeps its value; `null` or '' clears channel,
 * messenger, e-mail channel, Omnidesk's address, staff e-mail, tags field and account
 * differences; Intercom's two consents are `true` only when sent as `true` (a checkbox's
 * state). Channels are kept as the sidebar sends them (an id, as a string: it survives a
 * rename, and the backend takes an id or a name). Nothing is stored unless all of it is valid.
 */
function clSaveSettings_(svc, lang, input) {
  input = input || {};
  var current = clReadSettings_(svc);
  var next = {
    target: current.target,
    channel: current.channel,
    transport: current.transport,
    emailChannel: current.emailChannel,
    tags: current.tags,
    region: current.region,
    omnideskUrl: current.omnideskUrl,
    staffEmail: current.staffEmail,
    tagsField: current.tagsField,
    plays: current.plays,
    intercomRegion: current.intercomRegion,
    createAttributes: current.createAttributes,
    unarchive: current.unarchive,
  };
  if (input.target !== undefined) {
    if (CL_TARGET_KINDS.indexOf(input.target) < 0) {
      throw clUserError_(clText_(lang, 'badTarget', { target: input.target }));
    }
    next.target = input.target;
  }
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
  if (input.omnideskUrl !== undefined) {
    var url = clCleanText_(input.omnideskUrl);
    next.omnideskUrl = url && clOmnideskUrl_(lang, url);
  }
  if (input.staffEmail !== undefined) {
    var email = clCleanText_(input.staffEmail);
    if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw clUserError_(clText_(lang, 'badStaffEmail', { value: email }));
    }
    next.staffEmail = email;
  }
  if (input.tagsField !== undefined) {
    next.tagsField = clCleanText_(input.tagsField);
  }
  if (input.plays !== undefined) {
    next.plays = clCleanPlays_(input.plays);
  }
  if (input.intercomRegion !== undefined) {
    next.intercomRegion = clIntercomRegion_(lang, input.intercomRegion || CL_DEFAULT_INTERCOM_REGION);
  }
  if (input.createAttributes !== undefined) {
    next.createAttributes = input.createAttributes === true;
  }
  if (input.unarchive !== undefined) {
    next.unarchive = input.unarchive === true;
  }
  var store = svc.PropertiesService.getUserProperties();
  var token = clCleanText_(input.token);
  if (token) {
    store.setProperty(CL_TOKEN_KEY, token);
  }
  var apiKey = clCleanText_(input.apiKey);
  if (apiKey) {
    store.setProperty(CL_API_KEY_KEY, apiKey);
  }
  var intercomToken = clCleanText_(input.intercomToken);
  if (intercomToken) {
    store.setProperty(CL_INTERCOM_TOKEN_KEY, intercomToken);
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

/**
 * Omnidesk's account differences as the backend takes them (`plays`): the variant names
 * `contact-loader probe --target omnidesk` prints, comma-separated, in lower case, each once;
 * `null` for none. Which names exist is the backend's to say: it refuses another at submit.
 */
function clCleanPlays_(value) {
  var seen = {};
  var names = String(value || '')
    .split(',')
    .map(function (name) {
      return name.trim().toLowerCase();
    })
    .filter(function (name) {
      var keep = name !== '' && !seen[name];
      seen[name] = true;
      return keep;
    });
  return names.length ? names.join(',') : null;
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
 * checkConnection(input?) (CONTRACT.md): the catalog of the target `input.target` (the stored
 * one when absent) with the credentials typed in the page over the stored ones.
 * Chat2Desk: `requestsLeft` stays null when the account does not say (chat2desk.md:
 * `api_info` fields vary), so the sidebar can say "unknown" rather than 0. Omnidesk: its
 * user data fields (for the tags field), its users and its requests a minute, `null` when
 * it does not say. Intercom: the workspace's host, its custom attributes (which the sheet's
 * position, messenger ids and own columns go to), its tags and its requests a minute.
 */
function clCheckConnection_(svc, lang, input) {
  clBackendBase_(svc, lang);
  input = input || {};
  var settings = clReadSettings_(svc);
  var kind = input.target === undefined ? settings.target : input.target;
  if (CL_TARGET_KINDS.indexOf(kind) < 0) {
    throw clUserError_(clText_(lang, 'badTarget', { target: kind }));
  }
  var credentials = clCredentials_(svc, lang, kind, settings, input);
  var catalog = clFetchCatalog_(svc, lang, kind, credentials);
  if (kind === 'intercom') {
    var attributes = catalog.attributes || {};
    return {
      ok: true,
      target: kind,
      host: credentials.url.replace(/^https?:\/\//, ''),
      attributes: Object.keys(attributes).sort().map(function (name) {
        return { name: name, type: attributes[name] };
      }),
      tags: (catalog.tags || []).slice(),
      ratePerMinute: clNumber_(catalog.rate_limit_per_minute, null),
    };
  }
  if (kind === 'omnidesk') {
    return {
      ok: true,
      target: kind,
      accountUrl: credentials.url,
      users: clNumber_(catalog.users, null),
      ratePerMinute: clNumber_(catalog.rate_limit_per_minute, null),
      fields: (catalog.fields || []).map(function (field) {
        return { id: field.field_id, title: field.title, type: field.field_type };
      }),
    };
  }
  return {
    ok: true,
    target: kind,
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
