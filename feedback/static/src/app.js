// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");
  // Move focus to the error summary so screen-reader and keyboard users hear what went wrong.
  var summary = document.querySelector(".nhsuk-error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }

  // A campaign's figures update themselves in place; without this its Refresh link does it.
  var counts = document.querySelector("[data-campaign-counts-url]");
  if (counts && window.fetch) {
    var url = counts.getAttribute("data-campaign-counts-url");
    var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
    var every = 5000; // milliseconds between polls
    // Each poll counts as activity, so polling for ever would keep an unattended page signed
    // in: stop well before the 30-minute idle sign-out.
    var stopAt = Date.now() + 20 * 60 * 1000;
    var timer = window.setInterval(function () {
      if (Date.now() > stopAt) {
        window.clearInterval(timer);
        return;
      }
      if (document.hidden) {
        return;
      }
      window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok || response.redirected) {
            throw new Error("no figures: " + response.status);
          }
          return response.json();
        })
        .then(function (figures) {
          Object.keys(figures).forEach(function (key) {
            var cell = counts.querySelector('[data-count="' + key + '"]');
            var text = numbers.format(figures[key]);
            // Only a real change is written, so the live region announces only that.
            if (cell && cell.textContent !== text) {
              cell.textContent = text;
            }
          });
        })
        .catch(function () {
          // Signed out or offline: stop, and leave the last figures and the Refresh link.
          window.clearInterval(timer);
        });
    }, every);
  }
})();
