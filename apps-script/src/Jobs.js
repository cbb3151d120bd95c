/**
 * Jobs: process, check or sample the active sheet in the backend, follow them, cancel them,
 * and bring their report into the spreadsheet.
 *
 * google-sheets.md: a script execution runs at most 6 minutes, so the work runs in the
 * backend and the sidebar polls jobStatus(). The backend reads and writes the sheet itself
 * with the user's OAuth token (`sheets_token`), refreshed with each poll (`X-Sheets-Token`)
 * because it lives an hour (docs/deploy.md): the sidebar's, and with the panel closed the
 * hourly trigger's (Background.js).
 */

var CL_MODES = ['load', 'check', 'sample'];
var CL_LIVE_STATES = ['queued', 'running'];
var CL_COUNT_KEYS = ['created', 'updated', 'unchanged', 'merged', 'invalid', 'skipped', 'failed', 'pending', 'ready'];

/**
 * Where the job last started for a sheet is remembered: the user's properties, keyed by
 * spreadsheet and sheet. Not the document's: a job is visible only to the Google account
 * that submitted it (docs/deploy.md), so another editor's job would answer them 404.
 */
var CL_JOB_KEY_PREFIX = 'CL_JOB:';

function clJobKey_(spreadsheet, sheet) {
  return CL_JOB_KEY_PREFIX + spreadsheet.getId() + ':' + sheet.getSheetId();
}

/** Whether a user property is a remembered job (of any spreadsheet: Background.js polls them all). */
function clIsJobKey_(key) {
  return key.indexOf(CL_JOB_KEY_PREFIX) === 0;
}

function clRememberJob_(svc, spreadsheet, sheet, job) {
  svc.PropertiesService.getUserProperties().setProperty(clJobKey_(spreadsheet, sheet), JSON.stringify(job));
}

function clRememberedJob_(svc, spreadsheet, sheet) {
  var text = svc.PropertiesService.getUserProperties().getProperty(clJobKey_(spreadsheet, sheet));
  return text ? clParseJson_(text) : null;
}

/** Forgets the remembered job of the active sheet if it is `jobId` (a job that has ended). */
function clForgetJob_(svc, jobId) {
  var spreadsheet = svc.SpreadsheetApp.getActive();
  var sheet = spreadsheet.getActiveSheet();
  var job = clRememberedJob_(svc, spreadsheet, sheet);
  if (job && job.jobId === jobId) {
    svc.PropertiesService.getUserProperties().deleteProperty(clJobKey_(spreadsheet, sheet));
  }
}

/**
 * startJob(mode, allowPaid) (CONTRACT.md): sends the active sheet to the backend. A 200
 * answer means the sheet already had a live job — it is shown instead (`existing: true`).
 */
function clStartJob_(svc, lang, mode, allowPaid) {
  if (CL_MODES.indexOf(mode) < 0) {
    throw clUserError_(clText_(lang, 'badMode', { mode: mode }));
  }
  clBackendBase_(svc, lang);
  var settings = clReadSettings_(svc);
  var kind = settings.target;
  var credentials = clCredentials_(svc, lang, kind, settings, null);
  var spreadsheet = svc.SpreadsheetApp.getActive();
  var sheet = spreadsheet.getActiveSheet();
  // A header and at least one row, or the backend would only find nothing to do.
  if (sheet.getLastRow() < 2) {
    throw clUserError_(clText_(lang, 'emptySheet', { name: sheet.getName() }));
  }
  // openReport leaves the report as the active sheet: pressing Process list there must not
  // send the report (or the Instructions) to be loaded.
  if (clIsAddonSheet_(sheet)) {
    throw clUserError_(clText_(lang, 'notContactSheet', { name: sheet.getName() }));
  }
  var target = clJobTarget_(svc, kind, settings, credentials);
  var answer = clBackendCall_(svc, lang, 'post', '/v1/jobs', {
    body: {
      spreadsheet_id: spreadsheet.getId(),
      sheet: sheet.getName(),
      mode: mode,
      allow_paid: allowPaid === true,
      target: target,
      sheets_token: svc.ScriptApp.getOAuthToken(),
    },
    sent: clSent_(kind, settings, credentials),
  });
  var job = answer.json || {};
  var existing = answer.status === 200;
  // The live job the backend answered with may be of another mode (Check list pressed while
  // a load runs): what was remembered of it stands.
  var known = clRememberedJob_(svc, spreadsheet, sheet);
  var same = existing && known && known.jobId === job.job_id;
  clRememberJob_(svc, spreadsheet, sheet, {
    jobId: job.job_id,
    mode: same ? known.mode : mode,
    target: same && known.target ? known.target : kind,
  });
  // Its statuses need a fresh Google token each hour, panel open or not.
  clEnsureBackgroundPolls_(svc, spreadsheet);
  return { ok: true, jobId: job.job_id, state: job.state, existing: existing };
}

/** GET /v1/jobs/{id} with a fresh Google token for the job's status writes. */
function clFetchJob_(svc, lang, jobId) {
  return (
    clBackendCall_(svc, lang, 'get', '/v1/jobs/' + encodeURIComponent(jobId), {
      headers: { 'X-Sheets-Token': svc.ScriptApp.getOAuthToken() },
    }).json || {}
  );
}

/** jobStatus(jobId) (CONTRACT.md): the backend's job in the sidebar's terms, every count a number. */
function clJobStatus_(svc, lang, jobId) {
  var job = clFetchJob_(svc, lang, jobId);
  var spreadsheet = svc.SpreadsheetApp.getActive();
  var remembered = clRememberedJob_(svc, spreadsheet, spreadsheet.getActiveSheet());
  var ours = remembered && remembered.jobId === jobId ? remembered : null;
  // The job's own target names it in the sidebar, even when the settings changed since.
  var settings = clReadSettings_(svc);
  var target = ours && ours.target ? ours.target : settings.target;
  var progress = job.progress || {};
  var byStatus = progress.by_status || {};
  var counts = {};
  CL_COUNT_KEYS.forEach(function (key) {
    counts[key] = clNumber_(byStatus[key], 0);
  });
  // free_left, paid and cost_rub are null when the account did not say how many free
  // requests are left (the backend then asks consent for a big load): they stay null, as a 0
  // would tell the user that nothing is free.
  var estimate = job.estimate
    ? {
        requests: clNumber_(job.estimate.requests, 0),
        freeLeft: clNumber_(job.estimate.free_left, null),
        paid: clNumber_(job.estimate.paid, null),
        costRub: clNumber_(job.estimate.cost_rub, null),
      }
    : null;
  if (CL_LIVE_STATES.indexOf(job.state) < 0) {
    clForgetJob_(svc, jobId);
  }
  return {
    ok: true,
    jobId: job.job_id || jobId,
    mode: job.mode || (ours ? ours.mode : null),
    target: target,
    state: job.state,
    rows: clNumber_(progress.rows, null),
    contactsDone: clNumber_(progress.contacts_done, 0),
    contactsTotal: clNumber_(progress.contacts_total, 0),
    requests: clNumber_(progress.requests, 0),
    etaSeconds: clNumber_(progress.eta_seconds, null),
    plannedRequests: clNumber_(progress.planned_requests, null),
    // Known before the first write, at the account's announced rate (Omnidesk allows a few
    // requests a minute): the sidebar tells a long load's length while it can still be cancelled.
    plannedSeconds: clNumber_(progress.planned_seconds, null),
    counts: counts,
    error: job.error ? clTargetErrorText_(lang, job.error, job.error_code || null, clSent_(target, settings, null)) : null,
    estimate: estimate,
    // The hourly trigger brings the job fresh tokens: the panel may be closed (Background.js).
    backgroundPolls: clBackgroundPolls_(svc),
  };
}

function clNumber_(value, fallback) {
  return typeof value === 'number' && isFinite(value) ? value : fallback;
}

/**
 * currentJob() (CONTRACT.md): the live job last started for the active sheet, so that a
 * second press of Process list shows it. One that has ended or is gone is forgotten; when
 * the backend cannot be asked, the remembered one is given and its polls will say why.
 */
function clCurrentJob_(svc, lang) {
  var spreadsheet = svc.SpreadsheetApp.getActive();
  var sheet = spreadsheet.getActiveSheet();
  var job = clRememberedJob_(svc, spreadsheet, sheet);
  if (!job || !job.jobId) {
    return { ok: true, jobId: null, mode: null };
  }
  var state = null;
  try {
    state = clFetchJob_(svc, lang, job.jobId).state;
  } catch (e) {
    if (e.status !== 404) {
      return { ok: true, jobId: job.jobId, mode: job.mode || null };
    }
  }
  if (CL_LIVE_STATES.indexOf(state) < 0) {
    svc.PropertiesService.getUserProperties().deleteProperty(clJobKey_(spreadsheet, sheet));
    return { ok: true, jobId: null, mode: null };
  }
  // A job started before the add-on had its trigger (or whose trigger was deleted) gets one.
  clEnsureBackgroundPolls_(svc, spreadsheet);
  return { ok: true, jobId: job.jobId, mode: job.mode || null };
}

/** cancelJob(jobId) (CONTRACT.md). */
function clCancelJob_(svc, lang, jobId) {
  var answer = clBackendCall_(svc, lang, 'post', '/v1/jobs/' + encodeURIComponent(jobId) + '/cancel', {});
  var state = (answer.json || {}).state || null;
  if (CL_LIVE_STATES.indexOf(state) < 0) {
    clForgetJob_(svc, jobId);
  }
  return { ok: true, state: state };
}

/**
 * openReport(jobId) (CONTRACT.md): the backend's report.csv (row, status, reason,
 * client_id) in a new sheet, with the statuses in the user's words and coloured as in the
 * contact sheet.
 */
function clOpenReport_(svc, lang, jobId) {
  var answer = clBackendCall_(svc, lang, 'get', '/v1/jobs/' + encodeURIComponent(jobId) + '/report.csv', {
    notFound: clText_(lang, 'reportNotReady'),
  });
  var records = svc.Utilities.parseCsv(answer.text);
  var words = clTexts_(lang, 'statusWords');
  // Blank records (a trailing line break) are no rows.
  var lines = records.slice(1).filter(function (record) {
    return record.join('') !== '';
  }).map(function (record) {
    var status = record[1] || '';
    return [
      clNumberOrText_(record[0]),
      words[status] || status,
      clWithoutFormulaGuard_(record[2] || ''),
      clNumberOrText_(record[3]),
    ];
  });
  var spreadsheet = svc.SpreadsheetApp.getActive();
  // No ":" in the name: Excel refuses it in a sheet name, and spreadsheets get downloaded as .xlsx.
  var date = svc.Utilities.formatDate(new Date(), spreadsheet.getSpreadsheetTimeZone(), 'yyyy-MM-dd HH.mm');
  var name = clFreeSheetName_(spreadsheet, clText_(lang, 'reportSheetName', { date: date }));
  var sheet = spreadsheet.insertSheet(name);
  var headers = clTexts_(lang, 'reportHeaders');
  sheet.getRange(1, 1, 1, headers.length).setValues([headers]).setFontWeight('bold');
  sheet.setFrozenRows(1);
  // A new sheet has 1000 rows, and a range past the last one is refused.
  if (sheet.getMaxRows() < lines.length + 1) {
    sheet.insertRowsAfter(sheet.getMaxRows(), lines.length + 1 - sheet.getMaxRows());
  }
  if (lines.length > 0) {
    // Status and reason as plain text: a reason may quote a cell such as "=HYPERLINK(…)",
    // which must stay text (google-sheets.md: RAW for anything that came from outside).
    sheet.getRange(2, 2, lines.length, 2).setNumberFormat('@');
    sheet.getRange(2, 1, lines.length, headers.length).setValues(lines);
    sheet.setConditionalFormatRules(clStatusFormatRules_(svc, sheet.getRange(2, 2, lines.length, 1)));
  }
  sheet.setColumnWidth(3, 420);
  return { ok: true, sheetName: name, url: spreadsheet.getUrl() + '#gid=' + sheet.getSheetId() };
}

/** A sheet the add-on made for people to read: the Instructions (by name) or a report (by its header). */
function clIsAddonSheet_(sheet) {
  var langs = Object.keys(CL_TEXTS);
  var name = sheet.getName();
  var instructions = function (lang) {
    return CL_TARGET_KINDS.some(function (kind) {
      return name === clText_(lang, clTargetKey_('instructionsSheetName', kind));
    });
  };
  if (langs.some(instructions)) {
    return true;
  }
  var width = clTexts_('en', 'reportHeaders').length;
  if (sheet.getMaxColumns() < width) {
    return false;
  }
  var header = sheet.getRange(1, 1, 1, width).getDisplayValues()[0].join('\n');
  return langs.some(function (lang) {
    return header === clTexts_(lang, 'reportHeaders').join('\n');
  });
}

/**
 * The reason as the target wrote it. The backend's report.csv puts a `'` before a cell that
 * starts with = + - @ or a tab (OWASP's advice for CSV files, which a spreadsheet program
 * would otherwise run as formulas); here the column is plain text ('@') already, and the
 * guard would show, so it comes off. (A text that started with a guard of its own got a
 * second one: one comes off, the target's stays.)
 */
function clWithoutFormulaGuard_(text) {
  return /^''?[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/** Row numbers and client ids as numbers, so the report sorts and filters as numbers. */
function clNumberOrText_(value) {
  return /^\d{1,15}$/.test(value || '') ? Number(value) : value || '';
}
