// Small stateful fakes of the Apps Script services the add-on uses, behaving like Google's
// where the add-on depends on it: 1-based rows and columns, values padded with "" to the
// range, ranges refused outside the sheet, text typed into a non-text cell parsed as Sheets
// parses it (so "+7 999 …" becomes a formula error unless the cell's format is "@"),
// properties stored as strings, UrlFetchApp throwing on 4xx/5xx unless muteHttpExceptions.
// The manifest counts as it does at Google (google-sheets.md): a method throws when
// `oauthScopes` lacks its scope or the user has not granted it; UrlFetchApp refuses URLs
// outside `urlFetchWhitelist` and stops when the day's quota is spent, even with
// muteHttpExceptions; getIdentityToken() is null without `openid`. ScriptApp's triggers keep
// an add-on's limits: a time-driven trigger at most once an hour, one per user and document,
// 20 per user; a trigger's run has no active document. Exceptions carry Apps Script's own
// words, as far as they are known.
// Only the API surface the add-on (and its tests) use is here.

import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_SRC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

export const SCOPES = {
  spreadsheets: 'https://www.googleapis.com/auth/spreadsheets',
  currentOnly: 'https://www.googleapis.com/auth/spreadsheets.currentonly',
  containerUi: 'https://www.googleapis.com/auth/script.container.ui',
  externalRequest: 'https://www.googleapis.com/auth/script.external_request',
  openid: 'openid',
  scriptApp: 'https://www.googleapis.com/auth/script.scriptapp',
};

/** UrlFetch calls a day for a consumer account (100,000 for Workspace; google-sheets.md). */
export const URL_FETCH_QUOTA = 20000;

/**
 * An exception as Apps Script's V8 runtime throws it: `name` "Exception", so that
 * `String(e)` and the logged stack read "Exception: <message>", as in the execution log.
 */
export function appsScriptException(message) {
  const error = new Error(message);
  error.name = 'Exception';
  return error;
}

/**
 * Whether `entry` is a urlFetchWhitelist entry Google accepts ("Allowlist URLs"): https://, a
 * full domain (a leading `*.` for its subdomains), and a non-empty path — `https://x.com/`
 * is valid, `https://x.com` is not.
 */
export function validWhitelistEntry(entry) {
  return typeof entry === 'string' && /^https:\/\/(\*\.)?[^/*?#\s]+\.[^/*?#\s]+\/[^*\s]*$/.test(entry);
}

/** Whether a whitelist (`undefined`: the manifest has none, so nothing is refused) lets `url` be fetched. */
export function whitelistAllows(whitelist, url) {
  if (whitelist === undefined) return true;
  return whitelist.filter(validWhitelistEntry).some((entry) => {
    if (!entry.startsWith('https://*.')) return url.startsWith(entry);
    const rest = entry.slice('https://*.'.length);
    return url.startsWith('https://') && new RegExp(`^https://[^/?#]+\\.${rest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(url);
  });
}

// ---- The world: what all fakes share ---------------------------------------------------

/**
 * Everything a test sets up, and the fakes over it. `authMode` "NONE" makes the services
 * that need authorization throw, as Apps Script does; `touched` counts every use of them.
 * The manifest (`manifest`, else `srcDir`'s appsscript.json) gives the scopes and the
 * whitelist; `scopes` and `urlFetchWhitelist` override its fields. `authorized: false` is a
 * user who has not granted them (yet). `urlFetchQuota` is the day's UrlFetch calls left.
 */
export function createWorld({
  locale = 'en_US',
  userLocale = 'en',
  timeZone = 'Europe/Moscow',
  spreadsheetId = '1SpreadsheetId',
  sheets = { Sheet1: [] },
  identityToken = 'identity-token',
  oauthToken = 'oauth-token',
  transport = () => {
    throw new Error('no backend in this test');
  },
  srcDir,
  manifest,
  scopes,
  urlFetchWhitelist,
  authorized = true,
  urlFetchQuota = URL_FETCH_QUOTA,
} = {}) {
  const shipped = manifest || JSON.parse(readFileSync(path.join(srcDir || DEFAULT_SRC_DIR, 'appsscript.json'), 'utf8'));
  const world = {
    authMode: 'FULL',
    touched: { properties: 0, fetch: 0, document: 0 },
    identityToken,
    oauthToken,
    userLocale,
    logs: [],
    scopes: [...(scopes || shipped.oauthScopes || [])],
    urlFetchWhitelist: urlFetchWhitelist !== undefined ? [...urlFetchWhitelist] : shipped.urlFetchWhitelist && [...shipped.urlFetchWhitelist],
    authorized,
    urlFetchCallsLeft: urlFetchQuota,
    // The user's installable triggers of the add-on (FakeScriptApp), and whether the code
    // runs for one of them (no active document then).
    triggers: [],
    inTrigger: false,
  };
  world.needsAuth = (what) => {
    world.touched[what] += 1;
    if (world.authMode === 'NONE') {
      throw new Error(`You do not have permission to call this service (${what}) in AuthMode.NONE`);
    }
  };
  /**
   * A method that needs one of `anyOf` scopes, granted: in the manifest and authorized by the
   * user, outside AuthMode.NONE. Apps Script's words, with `(a || b)` for alternatives.
   */
  world.requireScope = (method, anyOf) => {
    if (world.authMode !== 'NONE' && world.authorized && anyOf.some((scope) => world.scopes.includes(scope))) return;
    const wanted = anyOf.length === 1 ? anyOf[0] : `(${anyOf.join(' || ')})`;
    throw appsScriptException(`You do not have permission to call ${method}. Required permissions: ${wanted}`);
  };
  world.spreadsheet = new FakeSpreadsheet({ id: spreadsheetId, locale, timeZone, sheets });
  world.ui = new FakeUi(world);
  world.SpreadsheetApp = new FakeSpreadsheetApp(world);
  world.PropertiesService = new FakePropertiesService(world);
  world.UrlFetchApp = new FakeUrlFetchApp(world, transport);
  world.ScriptApp = new FakeScriptApp(world);
  world.HtmlService = new FakeHtmlService(srcDir);
  world.Utilities = new FakeUtilities();
  world.Session = { getActiveUserLocale: () => world.userLocale };
  const record = (level) => (...args) => world.logs.push(`${level}: ${args.map(String).join(' ')}`);
  world.console = { log: record('log'), info: record('info'), warn: record('warn'), error: record('error') };
  world.Logger = { log: record('Logger') };
  return world;
}

// ---- SpreadsheetApp ------------------------------------------------------------------------

class FakeSpreadsheetApp {
  constructor(world) {
    this.world = world;
    this.DataValidationCriteria = { VALUE_IN_LIST: 'VALUE_IN_LIST' };
    this.BooleanCriteria = { TEXT_STARTS_WITH: 'TEXT_STARTS_WITH' };
  }
  /**
   * `null` in a time-driven trigger's run: an add-on's clock trigger belongs to the script,
   * not to a document (as far as is known; code that needs no document works either way).
   */
  getActive() {
    this.world.needsAuth('document');
    this.world.requireScope('SpreadsheetApp.getActive', [SCOPES.currentOnly, SCOPES.spreadsheets]);
    return this.world.inTrigger ? null : this.world.spreadsheet;
  }
  getActiveSpreadsheet() {
    return this.getActive();
  }
  getUi() {
    return this.world.ui;
  }
  newDataValidation() {
    return new FakeDataValidationBuilder();
  }
  newConditionalFormatRule() {
    return new FakeConditionalFormatRuleBuilder();
  }
}

let nextSheetId = 1000;

export class FakeSpreadsheet {
  constructor({ id, locale, timeZone, sheets }) {
    this.id = id;
    this.locale = locale;
    this.timeZone = timeZone;
    this.sheets = [];
    this.toasts = [];
    for (const [name, rows] of Object.entries(sheets)) {
      this.addSheet(name, rows);
    }
    this.active = this.sheets[0] || null;
  }
  /** Test helper: a sheet holding `rows` as stored values (not parsed as typed input). */
  addSheet(name, rows = []) {
    const sheet = new FakeSheet(this, name, Math.max(1000, rows.length), 26);
    rows.forEach((row, r) => row.forEach((value, c) => (sheet.cell(r + 1, c + 1).value = value)));
    this.sheets.push(sheet);
    return sheet;
  }
  getId() {
    return this.id;
  }
  getUrl() {
    return `https://docs.google.com/spreadsheets/d/${this.id}/edit`;
  }
  getSpreadsheetLocale() {
    return this.locale;
  }
  getSpreadsheetTimeZone() {
    return this.timeZone;
  }
  getSheets() {
    return this.sheets.slice();
  }
  getSheetByName(name) {
    return this.sheets.find((s) => s.name === name) || null;
  }
  /** Like Google's: the name must be free; the new sheet becomes the active one. */
  insertSheet(name) {
    if (name === undefined) {
      name = `Sheet${this.sheets.length + 1}`;
    }
    if (this.getSheetByName(name)) {
      throw new Error(`A sheet with the name "${name}" already exists. Please enter another name.`);
    }
    const sheet = new FakeSheet(this, name, 1000, 26);
    this.sheets.push(sheet);
    this.active = sheet;
    return sheet;
  }
  getActiveSheet() {
    return this.active;
  }
  setActiveSheet(sheet) {
    this.active = sheet;
    return sheet;
  }
  toast(message, title, timeoutSeconds) {
    this.toasts.push({ message, title, timeoutSeconds });
  }
}

export class FakeSheet {
  constructor(parent, name, maxRows, maxColumns) {
    this.parent = parent;
    this.name = name;
    this.sheetId = nextSheetId++;
    this.maxRows = maxRows;
    this.maxColumns = maxColumns;
    this.cells = new Map(); // "row:col" → {value, format, validation, fontWeight, wrap}
    this.frozenRows = 0;
    this.columnWidths = {};
    this.conditionalFormatRules = [];
  }
  cell(row, col) {
    const key = `${row}:${col}`;
    if (!this.cells.has(key)) {
      this.cells.set(key, { value: '', format: null, validation: null, fontWeight: 'normal', wrap: false });
    }
    return this.cells.get(key);
  }
  getName() {
    return this.name;
  }
  getSheetId() {
    return this.sheetId;
  }
  getParent() {
    return this.parent;
  }
  getMaxRows() {
    return this.maxRows;
  }
  getMaxColumns() {
    return this.maxColumns;
  }
  insertRowsAfter(afterPosition, howMany) {
    this.maxRows += howMany;
    return this;
  }
  getLastRow() {
    let last = 0;
    for (const [key, cell] of this.cells) {
      if (cell.value !== '') last = Math.max(last, Number(key.split(':')[0]));
    }
    return last;
  }
  getLastColumn() {
    let last = 0;
    for (const [key, cell] of this.cells) {
      if (cell.value !== '') last = Math.max(last, Number(key.split(':')[1]));
    }
    return last;
  }
  getDataRange() {
    return this.getRange(1, 1, Math.max(1, this.getLastRow()), Math.max(1, this.getLastColumn()));
  }
  /** getRange("B2"), getRange("A2:C9"), getRange("A2:A") (to the last row), or (row, col, rows?, cols?). */
  getRange(a, col, numRows = 1, numCols = 1) {
    if (typeof a === 'string') {
      const m = /^([A-Z]+)(\d+)(?::([A-Z]+)(\d*))?$/.exec(a.trim().toUpperCase());
      if (!m) throw new Error(`Range not found: ${a}`);
      const r1 = Number(m[2]);
      const c1 = columnNumber(m[1]);
      const c2 = m[3] ? columnNumber(m[3]) : c1;
      const r2 = m[3] ? (m[4] ? Number(m[4]) : this.maxRows) : r1;
      return this.getRange(r1, c1, r2 - r1 + 1, c2 - c1 + 1);
    }
    const row = a;
    for (const n of [row, col, numRows, numCols]) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`Invalid range coordinates (${row}, ${col}, ${numRows}, ${numCols})`);
    }
    if (row + numRows - 1 > this.maxRows || col + numCols - 1 > this.maxColumns) {
      throw new Error('The coordinates of the range are outside the dimensions of the sheet.');
    }
    return new FakeRange(this, row, col, numRows, numCols);
  }
  setFrozenRows(n) {
    this.frozenRows = n;
  }
  getFrozenRows() {
    return this.frozenRows;
  }
  setColumnWidth(col, width) {
    this.columnWidths[col] = width;
    return this;
  }
  getColumnWidth(col) {
    return this.columnWidths[col] || 100;
  }
  setConditionalFormatRules(rules) {
    this.conditionalFormatRules = rules.slice();
  }
  getConditionalFormatRules() {
    return this.conditionalFormatRules.slice();
  }
  activate() {
    this.parent.active = this;
    return this;
  }
}

function columnNumber(letters) {
  return [...letters].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
}

function columnLetters(n) {
  let s = '';
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * What Sheets stores for a value written with setValue(s): text in a "@" cell stays text;
 * elsewhere a number-looking string becomes a number and a string starting with "=" or "+"
 * is a formula — one we do not evaluate, so it reads back as "#ERROR!" as "+7 999 1…" does.
 */
function entered(value, format) {
  if (value === null || value === undefined) return { value: '' };
  if (typeof value !== 'string' || format === '@') return { value };
  if (/^[+-]?\d+(\.\d+)?$/.test(value.trim())) return { value: Number(value) };
  if (/^[=+]/.test(value)) return { value: '#ERROR!', formula: value };
  return { value };
}

class FakeRange {
  constructor(sheet, row, col, numRows, numCols) {
    Object.assign(this, { sheet, row, col, numRows, numCols });
  }
  each(fn) {
    for (let r = 0; r < this.numRows; r++) for (let c = 0; c < this.numCols; c++) fn(this.sheet.cell(this.row + r, this.col + c), r, c);
    return this;
  }
  grid(fn) {
    const out = [];
    for (let r = 0; r < this.numRows; r++) {
      const line = [];
      for (let c = 0; c < this.numCols; c++) line.push(fn(this.sheet.cell(this.row + r, this.col + c)));
      out.push(line);
    }
    return out;
  }
  getSheet() {
    return this.sheet;
  }
  getRow() {
    return this.row;
  }
  getColumn() {
    return this.col;
  }
  getNumRows() {
    return this.numRows;
  }
  getNumColumns() {
    return this.numCols;
  }
  getA1Notation() {
    const first = `${columnLetters(this.col)}${this.row}`;
    if (this.numRows === 1 && this.numCols === 1) return first;
    return `${first}:${columnLetters(this.col + this.numCols - 1)}${this.row + this.numRows - 1}`;
  }
  getValues() {
    return this.grid((cell) => cell.value);
  }
  getValue() {
    return this.sheet.cell(this.row, this.col).value;
  }
  getDisplayValues() {
    return this.grid((cell) => String(cell.value));
  }
  setValues(values) {
    if (!Array.isArray(values) || values.length !== this.numRows) {
      throw new Error(`The number of rows in the data does not match the number of rows in the range. The data has ${values && values.length} but the range has ${this.numRows}.`);
    }
    values.forEach((line, r) => {
      if (!Array.isArray(line) || line.length !== this.numCols) {
        throw new Error(`The number of columns in the data does not match the number of columns in the range. The data has ${line && line.length} but the range has ${this.numCols}.`);
      }
    });
    return this.each((cell, r, c) => {
      const stored = entered(values[r][c], cell.format);
      cell.value = stored.value;
      cell.formula = stored.formula || null;
    });
  }
  setValue(value) {
    return this.getCell(1, 1).setValues([[value]]);
  }
  getCell(row, col) {
    return new FakeRange(this.sheet, this.row + row - 1, this.col + col - 1, 1, 1);
  }
  setNumberFormat(format) {
    return this.each((cell) => (cell.format = format));
  }
  getNumberFormat() {
    return this.sheet.cell(this.row, this.col).format || 'General';
  }
  getNumberFormats() {
    return this.grid((cell) => cell.format || 'General');
  }
  setFontWeight(weight) {
    return this.each((cell) => (cell.fontWeight = weight || 'normal'));
  }
  getFontWeight() {
    return this.sheet.cell(this.row, this.col).fontWeight;
  }
  setWrap(wrap) {
    return this.each((cell) => (cell.wrap = wrap));
  }
  getWrap() {
    return this.sheet.cell(this.row, this.col).wrap;
  }
  setDataValidation(rule) {
    return this.each((cell) => (cell.validation = rule));
  }
  getDataValidation() {
    return this.sheet.cell(this.row, this.col).validation;
  }
  getDataValidations() {
    return this.grid((cell) => cell.validation);
  }
}

class FakeDataValidationBuilder {
  constructor() {
    this.criteria = null;
    this.values = [];
    this.allowInvalid = true; // Google's default
    this.helpText = null;
  }
  requireValueInList(values, showDropdown = true) {
    this.criteria = 'VALUE_IN_LIST';
    this.values = Array.from(values); // an array of this realm, whatever realm passed it
    this.showDropdown = showDropdown;
    return this;
  }
  setAllowInvalid(allow) {
    this.allowInvalid = allow;
    return this;
  }
  setHelpText(text) {
    this.helpText = text;
    return this;
  }
  build() {
    if (this.criteria === 'VALUE_IN_LIST' && (this.values.length === 0 || this.values.length > 500)) {
      throw new Error(`A list of items must hold 1 to 500 items, not ${this.values.length}.`);
    }
    const { criteria, values, showDropdown, allowInvalid, helpText } = this;
    return {
      getCriteriaType: () => criteria,
      getCriteriaValues: () => [values.slice(), showDropdown],
      getAllowInvalid: () => allowInvalid,
      getHelpText: () => helpText,
    };
  }
}

class FakeConditionalFormatRuleBuilder {
  constructor() {
    this.condition = null;
    this.background = null;
    this.ranges = [];
  }
  whenTextStartsWith(text) {
    this.condition = { type: 'TEXT_STARTS_WITH', values: [text] };
    return this;
  }
  setBackground(color) {
    this.background = color;
    return this;
  }
  setRanges(ranges) {
    this.ranges = Array.from(ranges);
    return this;
  }
  build() {
    if (!this.condition || this.ranges.length === 0) {
      throw new Error('A conditional format rule needs a condition and at least one range.');
    }
    const { condition, background, ranges } = this;
    return {
      getBooleanCondition: () => ({
        getCriteriaType: () => condition.type,
        getCriteriaValues: () => condition.values.slice(),
        getBackground: () => background,
      }),
      getRanges: () => ranges.slice(),
    };
  }
}

class FakeUi {
  constructor(world) {
    this.world = world;
    this.menus = [];
    this.sidebars = [];
    this.dialogs = [];
    this.alerts = [];
    this.ButtonSet = { OK: 'OK', OK_CANCEL: 'OK_CANCEL', YES_NO: 'YES_NO' };
    this.Button = { OK: 'OK', CANCEL: 'CANCEL', YES: 'YES', NO: 'NO', CLOSE: 'CLOSE' };
  }
  createAddonMenu() {
    return new FakeMenu(this);
  }
  createMenu(caption) {
    return new FakeMenu(this, caption);
  }
  showSidebar(output) {
    this.world.requireScope('Ui.showSidebar', [SCOPES.containerUi]);
    this.sidebars.push(output);
  }
  showModalDialog(output, title) {
    this.world.requireScope('Ui.showModalDialog', [SCOPES.containerUi]);
    this.dialogs.push({ output, title });
  }
  /** alert(prompt), alert(prompt, buttons) or alert(title, prompt, buttons), as Google's. */
  alert(...args) {
    this.world.requireScope('Ui.alert', [SCOPES.containerUi]);
    const [title, prompt] = args.length === 3 ? args : [null, args[0]];
    this.alerts.push({ title, prompt });
    return this.Button.OK;
  }
}

class FakeMenu {
  constructor(ui, caption = null) {
    this.ui = ui;
    this.caption = caption;
    this.items = [];
  }
  addItem(caption, functionName) {
    this.items.push({ caption, functionName });
    return this;
  }
  addSeparator() {
    this.items.push({ separator: true });
    return this;
  }
  addToUi() {
    this.ui.menus.push(this);
  }
}

// ---- PropertiesService ------------------------------------------------------------------

class FakeProperties {
  constructor(world) {
    this.world = world;
    this.map = new Map();
  }
  getProperty(key) {
    this.world.needsAuth('properties');
    return this.map.has(key) ? this.map.get(key) : null;
  }
  setProperty(key, value) {
    this.world.needsAuth('properties');
    this.map.set(key, String(value));
    return this;
  }
  deleteProperty(key) {
    this.world.needsAuth('properties');
    this.map.delete(key);
    return this;
  }
  getProperties() {
    this.world.needsAuth('properties');
    return Object.fromEntries(this.map);
  }
  getKeys() {
    this.world.needsAuth('properties');
    return [...this.map.keys()];
  }
}

class FakePropertiesService {
  constructor(world) {
    this.user = new FakeProperties(world);
    this.document = new FakeProperties(world);
    this.script = new FakeProperties(world);
    this.world = world;
  }
  getUserProperties() {
    this.world.needsAuth('properties');
    return this.user;
  }
  getDocumentProperties() {
    this.world.needsAuth('properties');
    return this.document;
  }
  getScriptProperties() {
    this.world.needsAuth('properties');
    return this.script;
  }
}

// ---- UrlFetchApp, ScriptApp -------------------------------------------------------------

/**
 * UrlFetchApp over a `transport(request)` that answers `{status, headers, body}` (`body` a
 * string, sent as UTF-8 as a server would, or the bytes themselves) or throws when no answer
 * came (unit tests: a fake backend; e2e: synchronous real HTTP). Before anything goes out,
 * Apps Script's own refusals, which muteHttpExceptions does not mute (google-sheets.md).
 */
class FakeUrlFetchApp {
  constructor(world, transport) {
    this.world = world;
    this.transport = transport;
  }
  fetch(url, params = {}) {
    const world = this.world;
    world.touched.fetch += 1;
    world.requireScope('UrlFetchApp.fetch', [SCOPES.externalRequest]);
    if (typeof url !== 'string' || !/^https?:\/\/[^/?#]+/i.test(url)) {
      throw appsScriptException(`Invalid argument: ${url}`);
    }
    if (!whitelistAllows(world.urlFetchWhitelist, url)) {
      throw appsScriptException(`Request to ${url} failed because the URL has not been whitelisted in the script manifest.`);
    }
    if (world.urlFetchCallsLeft <= 0) {
      throw appsScriptException('Service invoked too many times for one day: urlfetch.');
    }
    world.urlFetchCallsLeft -= 1;
    const headers = { ...(params.headers || {}) };
    if (params.contentType) headers['Content-Type'] = params.contentType;
    const request = {
      url,
      method: String(params.method || 'get').toUpperCase(),
      headers,
      body: params.payload === undefined ? null : String(params.payload),
    };
    let answer;
    try {
      answer = this.transport(request);
    } catch (e) {
      // Apps Script names the address, nothing more.
      throw appsScriptException(`Address unavailable: ${url}`);
    }
    const response = new FakeHttpResponse(answer);
    const status = response.getResponseCode();
    if (status >= 400 && !params.muteHttpExceptions) {
      const text = response.getContentText('UTF-8');
      throw appsScriptException(`Request failed for ${url} returned code ${status}. Truncated server response: ${text.slice(0, 100)} (use muteHttpExceptions option to examine full response)`);
    }
    return response;
  }
}

/** The bytes of a transport's body: a string or JSON goes as UTF-8, as a server sends it. */
function bodyBytes(body) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  return new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
}

/** The charset a Content-Type header names, or `null`. */
function charsetOf(headers) {
  const key = Object.keys(headers).find((name) => name.toLowerCase() === 'content-type');
  const m = key === undefined ? null : /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(String(headers[key]));
  return m ? m[1] : null;
}

/**
 * HTTPResponse: the answer's bytes, decoded when asked. getContentText(charset) decodes with
 * that charset; without one, with the Content-Type's, else ISO-8859-1 — stricter than, or as
 * strict as, Google (which documents no default), so code that leaves the charset to chance
 * garbles Cyrillic here rather than in production.
 */
class FakeHttpResponse {
  constructor(answer) {
    this.status = answer.status;
    this.headers = { ...(answer.headers || {}) };
    this.bytes = bodyBytes(answer.body);
  }
  getResponseCode() {
    return this.status;
  }
  getHeaders() {
    return { ...this.headers };
  }
  getAllHeaders() {
    return { ...this.headers };
  }
  /** Like Google's Byte[]: signed bytes. */
  getContent() {
    return Array.from(this.bytes, (b) => (b > 127 ? b - 256 : b));
  }
  getContentText(charset) {
    const label = charset === undefined ? charsetOf(this.headers) || 'ISO-8859-1' : String(charset);
    let decoder;
    try {
      decoder = new TextDecoder(label);
    } catch (e) {
      throw appsScriptException(`Invalid argument: ${label}`);
    }
    return decoder.decode(this.bytes);
  }
}

/**
 * An editor add-on's limits on installable triggers ("Installable triggers",
 * developers.google.com/apps-script/guides/triggers/installable, and "Triggers for Editor
 * add-ons"): a time-driven trigger runs at most once an hour; one trigger of each type per
 * user and document; 20 triggers per user and script (Apps Script quotas). Google's words
 * for the first are not known: these are the fake's own, and the add-on must not match them.
 */
export const TRIGGERS_PER_USER = 20;
export const TOO_OFTEN = 'Add-ons may not create time-based triggers that run more often than once an hour.';
export const ONE_PER_DOCUMENT = 'This add-on has created too many time-based triggers in this document for this Google user account.';
export const TOO_MANY_TRIGGERS = 'This script has too many triggers. Triggers must be deleted from the script before more can be added.';

let nextTriggerId = 1;

class FakeScriptApp {
  constructor(world) {
    this.world = world;
    this.AuthMode = { NONE: 'NONE', CUSTOM_FUNCTION: 'CUSTOM_FUNCTION', LIMITED: 'LIMITED', FULL: 'FULL' };
    this.EventType = { CLOCK: 'CLOCK', ON_OPEN: 'ON_OPEN', ON_EDIT: 'ON_EDIT' };
  }
  /** google-sheets.md: an OIDC token only with the `openid` scope; `null` without it. */
  getIdentityToken() {
    return this.world.scopes.includes(SCOPES.openid) ? this.world.identityToken : null;
  }
  getOAuthToken() {
    return this.world.oauthToken;
  }
  newTrigger(functionName) {
    this.world.requireScope('ScriptApp.newTrigger', [SCOPES.scriptApp]);
    if (typeof functionName !== 'string' || functionName === '') {
      throw appsScriptException(`Invalid argument: ${functionName}`);
    }
    return { timeBased: () => new FakeClockTriggerBuilder(this.world, functionName) };
  }
  /** The user's triggers of this script, of every document. */
  getProjectTriggers() {
    this.world.requireScope('ScriptApp.getProjectTriggers', [SCOPES.scriptApp]);
    return this.world.triggers.slice();
  }
  /** The user's triggers of this script for `document` (a Spreadsheet). */
  getUserTriggers(document) {
    this.world.requireScope('ScriptApp.getUserTriggers', [SCOPES.scriptApp]);
    return this.world.triggers.filter((trigger) => trigger.document === document.getId());
  }
  deleteTrigger(trigger) {
    this.world.requireScope('ScriptApp.deleteTrigger', [SCOPES.scriptApp]);
    this.world.triggers = this.world.triggers.filter((t) => t.getUniqueId() !== trigger.getUniqueId());
  }
}

/** ClockTriggerBuilder: the recurring schedules; create() refuses what an add-on may not have. */
class FakeClockTriggerBuilder {
  constructor(world, handler) {
    this.world = world;
    this.handler = handler;
    this.minutes = null;
  }
  /** Google takes 1, 5, 10, 15 or 30. */
  everyMinutes(n) {
    if (![1, 5, 10, 15, 30].includes(n)) throw appsScriptException(`Invalid argument: ${n}`);
    this.minutes = n;
    return this;
  }
  everyHours(n) {
    if (!Number.isInteger(n) || n < 1) throw appsScriptException(`Invalid argument: ${n}`);
    this.minutes = n * 60;
    return this;
  }
  create() {
    const world = this.world;
    if (this.minutes === null) throw appsScriptException('The trigger has no schedule: call everyMinutes or everyHours first.');
    if (this.minutes < 60) throw appsScriptException(TOO_OFTEN);
    // An add-on's trigger is made in the document it is used in.
    const document = world.inTrigger ? null : world.spreadsheet.getId();
    if (world.triggers.some((t) => t.document === document && t.getEventType() === 'CLOCK')) {
      throw appsScriptException(ONE_PER_DOCUMENT);
    }
    if (world.triggers.length >= TRIGGERS_PER_USER) throw appsScriptException(TOO_MANY_TRIGGERS);
    const trigger = new FakeTrigger(String(nextTriggerId++), this.handler, document, this.minutes);
    world.triggers.push(trigger);
    return trigger;
  }
}

class FakeTrigger {
  constructor(id, handler, document, minutes) {
    Object.assign(this, { id, handler, document, minutes });
  }
  getUniqueId() {
    return this.id;
  }
  getHandlerFunction() {
    return this.handler;
  }
  getEventType() {
    return 'CLOCK';
  }
}

// ---- HtmlService -------------------------------------------------------------------------

class FakeHtmlOutput {
  constructor(fields) {
    Object.assign(this, { title: null, width: null, height: null, content: '' }, fields);
  }
  setTitle(title) {
    this.title = title;
    return this;
  }
  getTitle() {
    return this.title;
  }
  setWidth(width) {
    this.width = width;
    return this;
  }
  setHeight(height) {
    this.height = height;
    return this;
  }
  getContent() {
    return this.content;
  }
}

/**
 * Templates are recorded, not rendered: `evaluate()` gives an output naming the file and the
 * variables set on the template (the pages belong to the other half of the add-on).
 */
class FakeHtmlService {
  constructor(srcDir) {
    this.srcDir = srcDir;
  }
  createTemplateFromFile(file) {
    const template = {
      evaluate() {
        const vars = {};
        for (const [key, value] of Object.entries(template)) {
          if (key !== 'evaluate') vars[key] = value;
        }
        return new FakeHtmlOutput({ file, vars });
      },
    };
    return template;
  }
  createHtmlOutput(html = '') {
    return new FakeHtmlOutput({ content: html });
  }
  createHtmlOutputFromFile(file) {
    const full = path.join(this.srcDir || '.', `${file}.html`);
    if (!existsSync(full)) throw new Error(`No HTML file named ${file} was found.`);
    return new FakeHtmlOutput({ file, content: readFileSync(full, 'utf8') });
  }
}

// ---- Utilities -----------------------------------------------------------------------------

class FakeUtilities {
  /** RFC 4180: quoted fields, doubled quotes, line breaks inside quotes, CRLF or LF. */
  parseCsv(csv, delimiter = ',') {
    const rows = [];
    let row = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < csv.length; i++) {
      const ch = csv[i];
      if (quoted) {
        if (ch === '"' && csv[i + 1] === '"') {
          field += '"';
          i++;
        } else if (ch === '"') {
          quoted = false;
        } else {
          field += ch;
        }
      } else if (ch === '"') {
        quoted = true;
      } else if (ch === delimiter) {
        row.push(field);
        field = '';
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && csv[i + 1] === '\n') i++;
        row.push(field);
        rows.push(row);
        row = [];
        field = '';
      } else {
        field += ch;
      }
    }
    if (field !== '' || row.length > 0) {
      row.push(field);
      rows.push(row);
    }
    return rows;
  }
  /** The patterns yyyy, MM, dd, HH, mm, ss in the given time zone. */
  formatDate(date, timeZone, pattern) {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      })
        .formatToParts(date)
        .map((p) => [p.type, p.value])
    );
    const map = { yyyy: parts.year, MM: parts.month, dd: parts.day, HH: parts.hour, mm: parts.minute, ss: parts.second };
    return pattern.replace(/yyyy|MM|dd|HH|mm|ss/g, (token) => map[token]);
  }
}
