// Start GOV.UK Frontend's components, and again inside whatever htmx swaps in.
import { initAll } from "../govuk-frontend.min.js";

initAll();

document.body.addEventListener("htmx:load", (event) => {
  // initAll scans inside the scope element, not the element itself: pass the parent.
  const scope = event.target.parentElement || document.body;
  try {
    initAll({ scope });
  } catch (error) {
    // Components that are already initialised refuse a second start; nothing to do.
    if (!String(error).includes("already initialised")) throw error;
  }
});
