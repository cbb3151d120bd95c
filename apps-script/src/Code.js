/**
 * The add-on's public entry points: the menu, its handlers, the functions the sidebar
 * calls with google.script.run (CONTRACT.md), and the hourly trigger's handler. Each one
 * only hands the real services to a plain function in another file — Menu.js, Settings.js,
 * Targets.js, Jobs.js, ContactSheet.js, Background.js — which Node tests call with
 * stateful fakes instead (test/support/).
 *
 * Helpers end with `_`: google.script.run cannot call those, and Apps Script's single
 * global scope is shared by every file.
 */

/** The real Apps Script services, as the plain functions take them. */
function clServices_() {
  return {
    SpreadsheetApp: SpreadsheetApp,
    PropertiesService: PropertiesService,
    UrlFetchApp: UrlFetchApp,
    ScriptApp: ScriptApp,
    HtmlService: HtmlService,
    Utilities: Utilities,
    Session: Session,
  };
}

// ---- Menu -------------------------------------------------------------------------------

/**
 * Only the services a menu needs: in AuthMode.NONE, PropertiesService and UrlFetchApp must
 * not be touched (google-sheets.md), so they are not even handed over.
 */
function onOpen(e) {
  clBuildMenu_({ SpreadsheetApp: SpreadsheetApp, ScriptApp: ScriptApp, Session: Session }, e);
}

/** google-sheets.md: onInstall(e) calls onOpen(e), so the menu appears right after installing. */
function onInstall(e) {
  onOpen(e);
}

function menuProcessList() {
  clShowSidebar_(clServices_(), 'progress', 'load');
}

function menuCheckList() {
  clShowSidebar_(clServices_(), 'progress', 'check');
}

function menuProcessSample() {
  clShowSidebar_(clServices_(), 'progress', 'sample');
}

function menuSettings() {
  clShowSidebar_(clServices_(), 'settings', null);
}

function menuNewContactSheet() {
  clMenuNewContactSheet_(clServices_());
}

function menuHelp() {
  clShowHelp_(clServices_());
}

/**
 * For the pages: `<?!= include_('SidebarStyle') ?>` pulls in a partial (CONTRACT.md). A
 * template's scriptlets run on the server and may call any global, `_` or not; the page's
 * google.script.run may call only those not ending in `_`, and has no business reading the
 * project's files.
 */
function include_(name) {
  return HtmlService.createHtmlOutputFromFile(name).getContent();
}

// ---- Called by the sidebar (google.script.run) -------------------------------------------

function getSettings() {
  return clAnswer_(clServices_(), clSettingsView_);
}

function saveSettings(input) {
  return clAnswer_(clServices_(), function (svc, lang) {
    return clSaveSettings_(svc, lang, input);
  });
}

function checkConnection(input) {
  return clAnswer_(clServices_(), function (svc, lang) {
    return clCheckConnection_(svc, lang, input);
  });
}

function startJob(mode, allowPaid) {
  return clAnswer_(clServices_(), function (svc, lang) {
    return clStartJob_(svc, lang, mode, allowPaid);
  });
}

function jobStatus(jobId) {
  return clAnswer_(clServices_(), function (svc, lang) {
    return clJobStatus_(svc, lang, jobId);
  });
}

function cancelJob(jobId) {
  return clAnswer_(clServices_(), function (svc, lang) {
    return clCancelJob_(svc, lang, jobId);
  });
}

function openReport(jobId) {
  return clAnswer_(clServices_(), function (svc, lang) {
    return clOpenReport_(svc, lang, jobId);
  });
}

function currentJob() {
  return clAnswer_(clServices_(), clCurrentJob_);
}

// ---- Called by the hourly trigger (Background.js) ----------------------------------------

/**
 * Not through clAnswer_: a trigger's run has no open spreadsheet to take a language from,
 * and no one to answer. What fails is logged (the manifest's exceptionLogging).
 */
function pollJobsInBackground() {
  clPollJobsInBackground_(clServices_());
}
