// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");
  // Move focus to the error summary so screen-reader and keyboard users hear what went wrong.
  var summary = document.querySelector(".nhsuk-error-summary");
  if (summary) {
    summary.focus();
  }
})();
