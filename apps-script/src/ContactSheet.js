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
 * - Omnidesk: Phone, E-mail, Messenger ID, Name, Company, Position, Comment, Tags, then a
 *   column for each of the account's user data fields, then Status, Client ID — a row is one
 *   person with any of the three identifiers (each a profile of its own, linked:
 *   src/targets/omnidesk/), the card's company and position, and the data fields, which the
 *   backend fills from the columns titled after them (rules.rs `data_fields`);
 * - Intercom: the columns of Omnidesk's without data fields — a row is one contact, a user
 *   when it has an e-mail, else a lead (src/targets/intercom/) — and a dropdown of the
 *   workspace's tags (a tag it lacks is created by the load, so other text is only warned
 *   about).
 * `plain`: columns kept as typed text, or Sheets takes "+7 999 123-45-67" for a formula and
 * "89991234567" for a number that loses its leading digits' meaning. `fields`: where the data
 * field columns go (before it), among what people fill in and before what the add-on
 * writes; the columns from there on move right by as many (`clSheetColumns_`).
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
    fields: 9,
  },
  intercom: {
    widths: [160, 190, 190, 170, 150, 140, 240, 150, 300, 110],
    plain: [1, 2, 3],
    status: 9,
    tags: 8,
  },
};

var CL_FIELD_COLUMN_WIDTH = 160;

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

/** The items a dropdown of `values` lists: non-empty strings, each once. */
function clListItems_(values) {
  var seen = {};
  return values.filter(function (value) {
    var keep = typeof value === 'string' && value.trim() !== '' && !seen[value];
    seen[value] = true;
    return keep;
  });
}

/** A dropdown of `values` (its first CL_MAX_LIST_ITEMS), or `null` when there is nothing to offer. */
function clListValidation_(svc, values, allowInvalid, helpText) {
  var items = clListItems_(values);
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
 * The account's data fields the Omnidesk sheet has a column for, in the catalog's order: those
 * a column titled after them fills (the catalog's `sheet_column`; not a field titled like one
 * of the sheet's own columns, such as "Теги", which the backend reads as that column), except
 * the one the settings chose for the tags, which the Tags column fills; each title once.
 * Titles compare as the backend compares them: ignoring case and the spaces around.
 */
function clDataFieldColumns_(catalog, tagsField) {
  var key = function (title) {
    return String(title || '').trim().toLowerCase();
  };
  var seen = {};
  if (tagsField) {
    seen[key(tagsField)] = true;
  }
  return (catalog.fields || []).filter(function (field) {
    var title = key(field.title);
    var keep = field.sheet_column === true && title !== '' && !seen[title];
    seen[title] = true;
    return keep;
  });
}

/**
 * The dropdown of a data field's column, from what the backend takes (rules.rs
 * `field_value`), or `null` for a text, textarea or date field. A select lists its options'
 * titles and refuses other text, which the backend would refuse at the run anyway — unless
 * it has more options than a dropdown holds, when the rest must be typed. A checkbox takes
 * the sheet language's yes or no: a dropdown rather than Sheets' checkboxes, whose unticked
 * FALSE in every row would set the field on each row's person (and make empty rows look
 * filled), where an empty cell must leave the field as it is.
 */
function clFieldValidation_(svc, lang, field) {
  if (field.field_type === 'select') {
    var options = field.field_data && typeof field.field_data === 'object' ? field.field_data : {};
    var titles = clListItems_(
      Object.keys(options).map(function (key) {
        return options[key];
      })
    );
    var partial = titles.length > CL_MAX_LIST_ITEMS;
    var help = clText_(lang, partial ? 'selectHelpPartial' : 'selectHelp', { field: field.title, max: CL_MAX_LIST_ITEMS });
    return clListValidation_(svc, titles, partial, help);
  }
  if (field.field_type === 'checkbox') {
    return clListValidation_(svc, clTexts_(lang, 'checkboxWords'), false, clText_(lang, 'checkboxHelp', { field: field.title }));
  }
  return null;
}

/**
 * The sheet's columns: the target's headers and widths with a column for each of `fields`
 * (data fields) inserted at `layout.fields`, and every column of the layout from there on
 * moved right by as many. Returns the layout's positions so moved, with `headers`, `widths`
 * and `fields` (`[{col, field}]`).
 */
function clSheetColumns_(layout, headers, fields) {
  var at = layout.fields || headers.length + 1;
  var shift = function (col) {
    return col >= at ? col + fields.length : col;
  };
  var columns = {
    headers: headers.slice(0, at - 1),
    widths: layout.widths.slice(0, at - 1),
    plain: layout.plain.map(shift),
    fields: [],
  };
  fields.forEach(function (field, i) {
    columns.headers.push(field.title);
    columns.widths.push(CL_FIELD_COLUMN_WIDTH);
    columns.fields.push({ col: at + i, field: field });
  });
  columns.headers = columns.headers.concat(headers.slice(at - 1));
  columns.widths = columns.widths.concat(layout.widths.slice(at - 1));
  ['status', 'tags', 'channel', 'messenger'].forEach(function (name) {
    if (layout[name]) {
      columns[name] = shift(layout[name]);
    }
  });
  return columns;
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
 * `message` is for the user, and `dropdowns` false when the sheet lacks what the account's
 * catalog would have given it: Chat2Desk's dropdowns, Intercom's tags, Omnidesk's data field
 * columns.
 */
function clNewContactSheet_(svc, lang) {
  var settings = clReadSettings_(svc);
  var kind = settings.target;
  var layout = CL_SHEET_LAYOUTS[kind];
  var spreadsheet = svc.SpreadsheetApp.getActive();
  clEnsureInstructionsSheet_(spreadsheet, lang, kind);

  // Chat2Desk's lists, or the catalog itself (Intercom's tags, Omnidesk's data fields).
  var read = kind === 'chat2desk' ? clDropdownLists_(svc, lang, settings) : clDropdownCatalog_(svc, lang, kind, settings);
  var reason = read.reason || null;
  var fields = kind === 'omnidesk' && !reason ? clDataFieldColumns_(read.catalog, settings.tagsField) : [];
  var columns = clSheetColumns_(layout, clTexts_(lang, clTargetKey_('headers', kind)), fields);

  var name = clFreeSheetName_(spreadsheet, clText_(lang, 'contactSheetName'));
  var sheet = spreadsheet.insertSheet(name);
  // Text as it is: a data field's title is the account's, and one like "+ доп." is no formula.
  sheet
    .getRange(1, 1, 1, columns.headers.length)
    .setNumberFormat('@')
    .setValues([columns.headers])
    .setFontWeight('bold');
  sheet.setFrozenRows(1);
  columns.widths.forEach(function (width, i) {
    sheet.setColumnWidth(i + 1, width);
  });
  var dataRows = sheet.getMaxRows() - 1;
  var column = function (col) {
    return sheet.getRange(2, col, dataRows, 1);
  };
  columns.plain.forEach(function (col) {
    column(col).setNumberFormat('@');
  });
  sheet.setConditionalFormatRules(clStatusFormatRules_(svc, column(columns.status)));

  if (kind === 'chat2desk' && !reason) {
    // Tags may hold several labels separated by commas, which no list item equals: the
    // dropdown helps, and a warning rather than a refusal marks other text.
    var validations = [
      [columns.tags, clListValidation_(svc, read.tags, true, clText_(lang, 'tagsHelp'))],
      [columns.channel, clListValidation_(svc, read.channels, false, clText_(lang, 'channelHelp'))],
      [columns.messenger, clListValidation_(svc, read.messengers, false, clText_(lang, 'messengerHelp'))],
    ];
    validations.forEach(function (pair) {
      if (pair[1]) {
        column(pair[0]).setDataValidation(pair[1]);
      }
    });
  } else if (kind === 'intercom' && !reason) {
    // The workspace's tags, by name (Intercom's catalog lists them so). The load creates a
    // tag the workspace lacks (POST /tags makes it): other text is no error.
    var tagRule = clListValidation_(svc, read.catalog.tags || [], true, clText_(lang, 'tagsHelpIntercom'));
    if (tagRule) {
      column(columns.tags).setDataValidation(tagRule);
    }
  }
  columns.fields.forEach(function (placed) {
    // As typed, as the backend takes it: "007" stays a text field's "007", and a date is
    // not turned into one in the spreadsheet's own format.
    column(placed.col).setNumberFormat('@');
    var rule = clFieldValidation_(svc, lang, placed.field);
    if (rule) {
      column(placed.col).setDataValidation(rule);
    }
  });
  spreadsheet.setActiveSheet(sheet);
  return {
    ok: true,
    sheetName: name,
    dropdowns: !reason,
    message: clSheetMessage_(lang, kind, name, reason, fields),
  };
}

/** What the user is told about a new contact sheet: ready, and what it lacks and why. */
function clSheetMessage_(lang, kind, name, reason, fields) {
  if (kind === 'omnidesk') {
    if (reason) {
      return clText_(lang, 'sheetReadyNoFields', { name: name, reason: reason });
    }
    if (fields.length > 0) {
      var titles = fields.map(function (field) {
        return field.title;
      });
      return clText_(lang, 'sheetReadyFields', { name: name, fields: titles.join(', ') });
    }
  } else if (reason) {
    return clText_(lang, 'sheetReadyNoDropdowns', { name: name, reason: reason });
  }
  return clText_(lang, 'sheetReady', { name: name });
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
