/**
 * The add-on menu and what its items open.
 */

/**
 * google-sheets.md: in AuthMode.NONE (the add-on is installed but not yet used in this
 * document) onOpen must not touch PropertiesService or UrlFetchApp, nor read the document.
 * So the menu is the same in every mode; only its language source differs.
 */
function clBuildMenu_(svc, e) {
  var lang = clMenuLang_(svc, e);
  svc.SpreadsheetApp.getUi()
    .createAddonMenu()
    .addItem(clText_(lang, 'menuProcess'), 'menuProcessList')
    .addItem(clText_(lang, 'menuCheck'), 'menuCheckList')
    .addItem(clText_(lang, 'menuSample'), 'menuProcessSample')
    .addSeparator()
    .addItem(clText_(lang, 'menuNewSheet'), 'menuNewContactSheet')
    .addItem(clText_(lang, 'menuSettings'), 'menuSettings')
    .addItem(clText_(lang, 'menuHelp'), 'menuHelp')
    .addToUi();
}

/**
 * The spreadsheet's language where the document may be read; in AuthMode.NONE the user's
 * own language (Session.getActiveUserLocale needs no authorization).
 */
function clMenuLang_(svc, e) {
  if (!e || e.authMode !== svc.ScriptApp.AuthMode.NONE) {
    try {
      return clLangOfSpreadsheet_(svc.SpreadsheetApp.getActive());
    } catch (err) {
      // Not readable in this mode after all: the user's language will do for a menu.
    }
  }
  return clLangOfLocale_(svc.Session.getActiveUserLocale());
}

/**
 * The sidebar (Sidebar.html, by the pages' half of the add-on) on its `view`: "settings",
 * or "progress" of a job in `mode` (CONTRACT.md). Both variables are always set: an unset
 * one would fail the template's evaluation.
 */
function clShowSidebar_(svc, view, mode) {
  var lang = clLangOfSpreadsheet_(svc.SpreadsheetApp.getActive());
  var template = svc.HtmlService.createTemplateFromFile('Sidebar');
  template.view = view;
  template.mode = mode || 'load';
  var page = template.evaluate().setTitle(clText_(lang, 'addonTitle'));
  svc.SpreadsheetApp.getUi().showSidebar(page);
}

/**
 * "New contact sheet" from the menu: a short toast when all went well; a dialog when the
 * sheet came without dropdowns or could not be made, so that it is not missed.
 */
function clMenuNewContactSheet_(svc) {
  var spreadsheet = svc.SpreadsheetApp.getActive();
  var lang = clLangOfSpreadsheet_(spreadsheet);
  var title = clText_(lang, 'addonTitle');
  var result = clAnswer_(svc, clNewContactSheet_);
  var ui = svc.SpreadsheetApp.getUi();
  if (result.ok && result.dropdowns) {
    spreadsheet.toast(result.message, title, 10);
  } else {
    ui.alert(title, result.ok ? result.message : result.error, ui.ButtonSet.OK);
  }
  return result;
}

/**
 * Help: the instructions of the settings' target in a dialog, built here (the pages' files
 * belong to the sidebar).
 */
function clShowHelp_(svc) {
  var lang = clLangOfSpreadsheet_(svc.SpreadsheetApp.getActive());
  var kind = clReadSettings_(svc).target;
  var page = svc.HtmlService.createHtmlOutput(clHelpHtml_(lang, kind)).setWidth(560).setHeight(600);
  svc.SpreadsheetApp.getUi().showModalDialog(page, clText_(lang, 'helpTitle'));
}
