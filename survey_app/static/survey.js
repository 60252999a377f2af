// Progressive enhancement for the NHS.UK frontend components (character count, exclusive
// checkboxes, error summary focus, double-click protection). Every page works without it.
//
// NHS.UK's page template sets these body classes from an inline script; our CSP
// (default-src 'self') forbids inline scripts, so this external module does it instead.
// Module scripts only run in browsers the frontend supports, which is the test it would make.
import { initAll } from "/static/build/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
