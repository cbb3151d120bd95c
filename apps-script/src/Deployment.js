/**
 * Where this deployment of the add-on finds its backend (`contact-loader serve`).
 *
 * Written by `npm run set-backend -- <url>` (apps-script/tools/set-backend.mjs), together
 * with the manifest's urlFetchWhitelist, which must list the same address: edit neither
 * by hand. `npm run push` refuses to push the placeholder (docs/add-on.md, Deploying it).
 */
var CL_BACKEND_URL = 'https://contact-loader.example.com/';
