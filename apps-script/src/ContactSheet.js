/**
 * "New contact sheet": a sheet with the headers the backend recognises (CONTRACT.md) for the
 * target of the settings, laid out so that what people type is what gets loaded, and the
 * target's Instructions sheet in plain words.
 */

/**
 * Each target's columns (Texts.js `headersChat2desk`, `headersOmnidesk`, `headersIntercom`),
 * 1-based:
 * - Chat2Desk: Contact, Name, Comment, Tags, Channel, Messenger, Status, Client ID — one
 *   contact a row, and dropdowns of the account's tags, channels and messengers;
 * - Omnidesk: Phone, E-mail, Messenger ID, Name, Company, Position, Comment, Tags, Status,
 *   Client ID — a row is one person with any of the three identifiers (each a profile of its
 *   own, linked: src/targets/omnidesk/), and the card's company and position. Omnidesk has no
 *   tags, channels or messengers to list, so no dropdowns;
 * - Intercom: the same columns — a row is one contact, a user when it has an e-mail, else a
 *   lead (src/targets/intercom/) — and a dropdown of the workspace's tags (a tag it lacks is
 *   created by the load, so other text is only warned about).
 * `plain`: columns kept as typed text, or Sheets takes "+7 999 123-45-67" for a formula and
 * "89991234567" for a number that loses its leading digits' meaning.
 */
var CL_SHEET_LAYOUTS = {
  chat2desk: {
    widths: [190, 170, 240, 170, 150, 120, 300, 110],
    plain: [1],
    status: 7,
    tags: 4,
    channel: 5,
    messenger: 6,
  },
  omnidesk: {
    widths: [160, 190, 190, 170, 150, 140, 240, 150, 300, 110],
    plain: [1, 2, 3],
    status: 9,
  },
  intercom: {
    widths: [160, 190, 190, 170, 150, 140, 240, 150, 300, 110],
    plain: [1, 2, 3],
    status: 9,
    tags: 8,
  },
};

// Sheets refuses a dropdown of more than 500 items.
var CL_MAX_LIST_ITEMS = 500;

/**
 * Status colours by how the status text starts (CONTRACT.md lists what the backend writes,
 * in both languages; a status may carry a suffix such as "; note: …").
 */
var CL_STATUS_COLOURS = [
  { background: '#d9ead3', starts: ['Создан', 'Обновлён', 'Готово к загрузке', 'Created', 'Updated', 'Ready to load'] },
  { background: '#efefef', starts: ['Объединено', 'Без изменений', 'Пропущено', 'Merged', 'Unchanged', 'Skipped'] },
  { background: '#f4cccc', starts: ['Ошибка', 'Не загружено', 'Error', 'Not loaded'] },
  { background: '#fff2cc', starts: ['Ожидает', 'Pending'] },
];

/** `base` if no sheet has that name, else `base 2`, `base 3`, …: an existing sheet is never touched. */
function clFreeSheetName_(spreadsheet, base) {
  if (!spreadsheet.getSheetByName(base)) {
    return base;
  }
  for (var n = 2; ; n++) {
    var name = base + ' ' + n;
    if (!spreadsheet.getSheetByName(name)) {
      return name;
    }
  }
}

/** The conditional format rules that colour the statuses in `range`. */
function clStatusFormatRules_(svc, range) {
  var rules = [];
  CL_STATUS_COLOURS.forEach(function (colour) {
    colour.starts.forEach(function (start) {
      rules.push(
        svc.SpreadsheetApp.newConditionalFormatRule()
          .whenTextStartsWith(start)
          .setBackground(colour.background)
          .setRanges([range])
          .build()
      );
    });
  });
  return rules;
}

/** A dropdown of `values` (its first CL_MAX_LIST_ITEMS), or `null` when there is nothing to offer. */
function clListValidation_(svc, values, allowInvalid, helpText) {
  var seen = {};
  var items = values.filter(function (value) {
    var keep = typeof value === 'string' && value.trim() !== '' && !seen[value];
    seen[value] = true;
    return keep;
  });
  if (items.length === 0) {
    return null;
  }
  return svc.SpreadsheetApp.newDataValidation()
    .requireValueInList(items.slice(0, CL_MAX_LIST_ITEMS), true)
    .setAllowInvalid(allowInvalid)
    .setHelpText(helpText)
    .build();
}

/**
 * The catalog of `kind` for the dropdowns, or `{reason}` saying why there is none: no
 * token yet, or the catalog call failed.
 */
function clDropdownCatalog_(svc, lang, kind, settings) {
  var credentials;
  try {
    credentials = clCredentials_(svc, lang, kind, settings, null);
  } catch (e) {
    if (!e.clUser) {
      throw e;
    }
    return { reason: clText_(lang, clTargetKey_('noDropdownsNoToken', kind)) };
  }
  try {
    return { catalog: clFetchCatalog_(svc, lang, kind, credentials) };
  } catch (e) {
    if (!e.clUser) {
      throw e;
    }
    return { reason: clText_(lang, clTargetKey_('noDropdownsFailed', kind), { error: e.message.replace(/[.\s]+$/, '') }) };
  }
}

/**
 * The lists for Chat2Desk's Tags, Channel and Messenger dropdowns from the account's
 * catalog, or `{reason}` saying why there are none.
 */
function clDropdownLists_(svc, lang, settings) {
  var read = clDropdownCatalog_(svc, lang, 'chat2desk', settings);
  if (read.reason) {
    return read;
  }
  var catalog = read.catalog;
  var channels = catalog.channels || [];
  // The messengers the account's channels work with; the catalog's whole list of transports
  // names system ones too (widget, external, system), so it is only the fallback.
  var messengers = [];
  channels.forEach(function (channel) {
    (channel.transports || []).forEach(function (transport) {
      messengers.push(transport);
    });
  });
  if (messengers.length === 0) {
    messengers = catalog.transports || [];
  }
  return {
    tags: (catalog.tags || []).map(function (tag) {
      return tag.label;
    }),
    channels: channels.map(function (channel) {
      return channel.name;
    }),
    messengers: messengers,
  };
}

/**
 * Creates the contact sheet of the settings' target (and its Instructions sheet if there is
 * none) and makes it the active sheet. Returns `{ok, sheetName, dropdowns, message}`;
 * `message` is for the user. An Omnidesk sheet has no dropdowns to miss; an Intercom sheet
 * has its Tags one.
 */
function clNewContactSheet_(svc, lang) {
  var settings = clReadSettings_(svc);
  var kind = settings.target;
  var layout = CL_SHEET_LAYOUTS[kind];
  var spreadsheet = svc.SpreadsheetApp.getActive();
  clEnsureInstructionsSheet_(spreadsheet, lang, kind);

  var name = clFreeSheetName_(spreadsheet, clText_(lang, 'contactSheetName'));
  var sheet = spreadsheet.insertSheet(name);
  var headers = clTexts_(lang, clTargetKey_('headers', kind));
  sheet.getRange(1, 1, 1, headers.length).setValues([headers]).setFontWeight('bold');
  sheet.setFrozenRows(1);
  layout.widths.forEach(function (width, i) {
    sheet.setColumnWidth(i + 1, width);
  });
  var dataRows = sheet.getMaxRows() - 1;
  var column = function (col) {
    return sheet.getRange(2, col, dataRows, 1);
  };
  layout.plain.forEach(function (col) {
    column(col).setNumberFormat('@');
  });
  sheet.setConditionalFormatRules(clStatusFormatRules_(svc, column(layout.status)));

  var reason = null;
  if (kind === 'chat2desk') {
    var lists = clDropdownLists_(svc, lang, settings);
    reason = lists.reason || null;
    if (!reason) {
      // Tags may hold several labels separated by commas, which no list item equals: the
      // dropdown helps, and a warning rather than a refusal marks other text.
      var validations = [
        [layout.tags, clListValidation_(svc, lists.tags, true, clText_(lang, 'tagsHelp'))],
        [layout.channel, clListValidation_(svc, lists.channels, false, clText_(lang, 'channelHelp'))],
        [layout.messenger, clListValidation_(svc, lists.messengers, false, clText_(lang, 'messengerHelp'))],
      ];
      validations.forEach(function (pair) {
        if (pair[1]) {
          column(pair[0]).setDataValidation(pair[1]);
        }
      });
    }
  } else if (kind === 'intercom') {
    // The workspace's tags, by name (Intercom's catalog lists them so).
    var read = clDropdownCatalog_(svc, lang, 'intercom', settings);
    reason = read.reason || null;
    // The load creates a tag the workspace lacks (POST /tags makes it): other text is no error.
    var tagRule = reason ? null : clListValidation_(svc, read.catalog.tags || [], true, clText_(lang, 'tagsHelpIntercom'));
    if (tagRule) {
      column(layout.tags).setDataValidation(tagRule);
    }
  }
  spreadsheet.setActiveSheet(sheet);
  return {
    ok: true,
    sheetName: name,
    dropdowns: !reason,
    message: reason
      ? clText_(lang, 'sheetReadyNoDropdowns', { name: name, reason: reason })
      : clText_(lang, 'sheetReady', { name: name }),
  };
}

/**
 * The target's Instructions sheet, once: if a sheet of that name exists (ours from an
 * earlier run, or the user's own), it is left as it is. Each target has its own, so a
 * spreadsheet used for several keeps each.
 */
function clEnsureInstructionsSheet_(spreadsheet, lang, kind) {
  var name = clText_(lang, clTargetKey_('instructionsSheetName', kind));
  if (spreadsheet.getSheetByName(name)) {
    return;
  }
  var lines = clTexts_(lang, clTargetKey_('instructions', kind));
  var sheet = spreadsheet.insertSheet(name);
  sheet
    .getRange(1, 1, lines.length, 1)
    .setNumberFormat('@')
    .setValues(
      lines.map(function (line) {
        return [line];
      })
    )
    .setWrap(true);
  sheet.getRange(1, 1).setFontWeight('bold');
  sheet.setColumnWidth(1, 820);
}

/** The Help dialog's page: the target's instructions as HTML, every line escaped. */
function clHelpHtml_(lang, kind) {
  var lines = clTexts_(lang, clTargetKey_('instructions', kind));
  var body = lines
    .map(function (line, i) {
      if (line === '') {
        return '';
      }
      var tag = i === 0 ? 'h3' : 'p';
      return '<' + tag + '>' + clEscapeHtml_(line) + '</' + tag + '>';
    })
    .join('\n');
  return '<div style="font-family: Arial, sans-serif; font-size: 13px; line-height: 1.45">\n' + body + '\n</div>';
}

function clEscapeHtml_(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
