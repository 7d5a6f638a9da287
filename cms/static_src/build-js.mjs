// Copies GOV.UK Frontend's browser bundle and assets next to the site's own script, so Django's
// static files (and whitenoise) serve them from one place. Nothing from node_modules is committed.
import { cpSync, mkdirSync } from "node:fs";

const out = "cms/static/cms/dist";
mkdirSync(out, { recursive: true });
cpSync("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${out}/govuk-frontend.min.js`);
cpSync("node_modules/govuk-frontend/dist/govuk/assets", `${out}/govuk/assets`, { recursive: true });
cpSync("cms/static_src/js/site.js", `${out}/site.js`);
