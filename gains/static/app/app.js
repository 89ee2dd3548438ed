// Start GOV.UK Frontend's components, and again inside whatever htmx swaps in.
import { initAll } from "../govuk-frontend.min.js";

// A component that is already running refuses a second start with an InitError: that is
// expected when a swap's scope holds components that were there before, so say nothing.
// Any other error is logged, as GOV.UK Frontend itself would.
function reportUnexpected(error) {
  if (error && error.name === "InitError") return;
  console.log(error);
}

initAll({ onError: reportUnexpected });

document.body.addEventListener("htmx:load", (event) => {
  // htmx also fires htmx:load for <body> itself when it starts: initAll has done that page.
  if (event.target === document.body) return;
  // initAll scans inside the scope element, not the element itself: pass the parent.
  initAll({ scope: event.target.parentElement || document.body, onError: reportUnexpected });
});
