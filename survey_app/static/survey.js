// Progressive enhancement for the NHS.UK frontend components (character count, exclusive
// checkboxes, error summary focus, double-click protection). Every page works without it.
//
// NHS.UK's page template sets these body classes from an inline script; our CSP
// (default-src 'self') forbids inline scripts, so this external module does it instead.
// Module scripts only run in browsers the frontend supports, which is the test it would make.
import { initAll } from "./build/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// The phone's Back gesture on a survey page. Every page is the answer to a POST that is never
// cached (a shared ward computer must not show someone's answers from its cache), so the browser's
// own Back would ask to "Confirm Form Resubmission". Instead each page adds one history entry of its
// own; going back to it presses the page's Back link, which posts the form and keeps every answer.
const surveyBack = document.querySelector("form[data-survey-form] button[name='_action'][value='back']");
if (surveyBack && window.history && window.history.pushState) {
  window.history.pushState({ surveyPage: true }, "", window.location.href);
  window.addEventListener("popstate", () => {
    surveyBack.click();
  });
}

// "Exit this page": replace this page in the history, so the browser's Back does not return to it.
const exitLink = document.getElementById("exit-this-page");
if (exitLink) {
  exitLink.addEventListener("click", (event) => {
    event.preventDefault();
    window.location.replace(exitLink.href);
  });
}
