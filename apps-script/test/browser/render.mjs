// Renders an HtmlService template (src/<name>.html) the way `createTemplateFromFile(name)`
// followed by `evaluate()` would, for the scriptlets the sidebar uses:
//   <?!= include_('X') ?>  the raw content of src/X.html (the server's include_() returns
//                         createHtmlOutputFromFile(X).getContent(): X is not evaluated, so a
//                         scriptlet inside X is an error here);
//   <?= expression ?>     the expression evaluated with the template variables in scope,
//                         HTML-escaped. Only outside <script>/<style>: there HtmlService escapes
//                         for JS/CSS, which this renderer does not imitate, so it refuses.
// Anything else (<? code ?>, other force-printing scriptlets) is refused, so a template that
// starts using more than this is noticed instead of rendered wrongly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPTLET = /<\?(!=|=)?([\s\S]*?)\?>/g;
const INCLUDE = /^\s*include_\(\s*(['"])([\w-]+)\1\s*\)\s*;?\s*$/;

export function escapeHtml(value) {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function readPage(dir, name) {
  return readFileSync(join(dir, `${name}.html`), 'utf8');
}

// Whether `offset` in `text` lies inside a <script> or <style> element.
function inRawText(text, offset) {
  const before = text.slice(0, offset).toLowerCase();
  for (const tag of ['script', 'style']) {
    const open = before.lastIndexOf(`<${tag}`);
    if (open >= 0 && before.lastIndexOf(`</${tag}`) < open) return true;
  }
  return false;
}

function evaluate(expression, vars) {
  // Template variables are in scope as plain names, as in Apps Script; `with` needs sloppy mode,
  // which `new Function` bodies are.
  // eslint-disable-next-line no-new-func
  return new Function('vars', `with (vars) { return (${expression}); }`)(vars);
}

export function renderTemplate(dir, name, vars = {}) {
  const text = readPage(dir, name);
  return text.replace(SCRIPTLET, (whole, kind, code, offset) => {
    if (kind === '!=') {
      const include = INCLUDE.exec(code);
      if (!include) throw new Error(`${name}.html: unsupported force-printing scriptlet ${whole}`);
      const content = readPage(dir, include[2]);
      if (content.includes('<?')) {
        throw new Error(`${include[2]}.html is included raw: its scriptlets would not run`);
      }
      return content;
    }
    if (kind === '=') {
      if (inRawText(text, offset)) {
        throw new Error(`${name}.html: ${whole} inside <script>/<style> is escaped for JS by HtmlService`);
      }
      return escapeHtml(evaluate(code, vars));
    }
    throw new Error(`${name}.html: unsupported scriptlet ${whole}`);
  });
}
