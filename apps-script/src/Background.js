/**
 * Background polls: while a job of the user is live, an hourly time-driven trigger polls it
 * as the sidebar does, so that a load of hours (Omnidesk takes a few requests a minute) gets
 * a fresh Google token with the panel closed.
 *
 * Why: the backend writes the statuses with the user's OAuth token, which lives about an hour
 * and which only a poll brings (Jobs.js clFetchJob_, `X-Sheets-Token`). With no poll the job
 * waits for one (src/serve/worker.rs TOKEN_WAIT), then ends with its statuses pending.
 *
 * Google's rules for an editor add-on's triggers ("Installable triggers",
 * developers.google.com/apps-script/guides/triggers/installable; "Triggers for Editor
 * add-ons"): a time-driven trigger runs at most once an hour, at a slightly randomised
 * moment; one trigger of each type per user and document ("This add-on has created too many
 * time-based triggers in this document for this Google user account"); 20 triggers per user
 * (quotas); creating one needs the `script.scriptapp` scope. A trigger runs as the user who
 * made it, and not in a document: its handler reads only the user's properties, where every
 * job the user started is remembered (Jobs.js clRememberJob_), of any spreadsheet.
 */

/** The trigger's handler (Code.js): a public name, as a trigger cannot run a `_` function. */
var CL_BACKGROUND_HANDLER = 'pollJobsInBackground';

/** User property: set while the add-on knows its hourly trigger is in place. */
var CL_BACKGROUND_KEY = 'CL_BACKGROUND_POLLS';

function clIsBackgroundTrigger_(trigger) {
  return trigger.getHandlerFunction() === CL_BACKGROUND_HANDLER;
}

/**
 * Makes sure the hourly trigger exists for this user and spreadsheet (the one a job was just
 * started or found live in); `true` when it does. A trigger Google refuses (the scope not
 * granted yet, the user's 20 triggers taken) costs the job nothing: the sidebar then asks to
 * keep the panel open, as before.
 */
function clEnsureBackgroundPolls_(svc, spreadsheet) {
  var properties = svc.PropertiesService.getUserProperties();
  try {
    if (!svc.ScriptApp.getUserTriggers(spreadsheet).some(clIsBackgroundTrigger_)) {
      svc.ScriptApp.newTrigger(CL_BACKGROUND_HANDLER).timeBased().everyHours(1).create();
    }
    properties.setProperty(CL_BACKGROUND_KEY, 'on');
    return true;
  } catch (e) {
    console.warn('contact-loader: no hourly trigger for background polls: ' + ((e && e.message) || String(e)));
    properties.deleteProperty(CL_BACKGROUND_KEY);
    return false;
  }
}

/** Whether the hourly trigger polls the user's live jobs (for the sidebar's words). */
function clBackgroundPolls_(svc) {
  return svc.PropertiesService.getUserProperties().getProperty(CL_BACKGROUND_KEY) === 'on';
}

/**
 * The trigger's run: every remembered job polled with a fresh token (the same call as the
 * sidebar's); an ended or unknown one forgotten; with none live, the trigger deletes itself.
 * A job whose poll fails otherwise (the backend unreachable) counts as live: the next hour
 * tries again. Texts go only to the log, so in English.
 */
function clPollJobsInBackground_(svc) {
  var properties = svc.PropertiesService.getUserProperties();
  var live = 0;
  properties.getKeys().filter(clIsJobKey_).forEach(function (key) {
    var job = clParseJson_(properties.getProperty(key) || '');
    if (!job || !job.jobId) {
      properties.deleteProperty(key);
      return;
    }
    try {
      if (CL_LIVE_STATES.indexOf(clFetchJob_(svc, 'en', job.jobId).state) >= 0) {
        live += 1;
      } else {
        properties.deleteProperty(key);
      }
    } catch (e) {
      if (e.status === 404) {
        properties.deleteProperty(key);
      } else {
        console.warn('contact-loader: background poll of job ' + job.jobId + ' failed: ' + ((e && e.message) || String(e)));
        live += 1;
      }
    }
  });
  if (live === 0) {
    svc.ScriptApp.getProjectTriggers().filter(clIsBackgroundTrigger_).forEach(function (trigger) {
      svc.ScriptApp.deleteTrigger(trigger);
    });
    properties.deleteProperty(CL_BACKGROUND_KEY);
  }
  return live;
}
