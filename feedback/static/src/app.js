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

// Keyed entry of paper sheets: a number picks the answer marked on the sheet and moves on to
// the next question. Without this file the same form works with Tab, the arrow keys and Space.
(function () {
  "use strict";
  var form = document.querySelector("[data-keyed-entry]");
  if (!form) {
    return;
  }
  var announcer = form.querySelector("[data-entry-announce]");
  var questions = Array.prototype.slice.call(form.querySelectorAll("[data-entry-question]"));
  var SPECIAL = { b: "0" }; // B also means Blank, beside 0

  function labelOf(input) {
    var label = form.querySelector('label[for="' + input.id + '"]');
    return label ? label.textContent.trim() : input.value;
  }

  function announce(template, input) {
    if (!announcer) {
      return;
    }
    // Cleared first, so that choosing the same answer twice is announced twice.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = (template || "{answer}").replace("{answer}", labelOf(input));
    }, 50);
  }

  // Where Tab would land: the box of a written answer, else the chosen radio, else the first.
  function firstInput(question) {
    return question.querySelector("textarea") ||
      question.querySelector("input[type=radio]:checked") ||
      question.querySelector("input, select");
  }

  function moveOn(question) {
    var next = questions[questions.indexOf(question) + 1];
    var target = next ? firstInput(next) : form.querySelector("[data-entry-save]");
    if (target) {
      target.focus();
    }
  }

  function pick(option, question) {
    var group = option.closest(".nhsuk-radios, .nhsuk-checkboxes");
    var others = group.querySelectorAll("input");
    var special = option.getAttribute("data-key") === "0" || option.getAttribute("data-key") === "u";
    if (option.type === "radio" || special) {
      // Blank and Unreadable stand alone, as does any radio answer.
      Array.prototype.forEach.call(others, function (input) {
        if (input.type === "checkbox" && input !== option) {
          input.checked = false;
        }
      });
      option.checked = true;
      announce(form.getAttribute("data-announce-chosen"), option);
      moveOn(question);
      return;
    }
    // More than one answer can be ticked: a number ticks or unticks, and focus stays.
    option.checked = !option.checked;
    Array.prototype.forEach.call(others, function (input) {
      var key = input.getAttribute("data-key");
      if (option.checked && (key === "0" || key === "u")) {
        input.checked = false;
      }
    });
    option.focus();
    announce(form.getAttribute(option.checked ? "data-announce-ticked" : "data-announce-unticked"),
      option);
  }

  // On a blind check the reference is given: start at the first answer, unless there are
  // errors to read first.
  if (!form.querySelector("[data-entry-reference]") && questions.length &&
      !document.querySelector(".nhsuk-error-summary")) {
    firstInput(questions[0]).focus();
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.tagName === "TEXTAREA" && !event.shiftKey) {
      // Words typed, then Tab: the answer is what is in the box, so skip its Blank/Unreadable
      // choice and go on. An empty box: Enter marks it Blank and goes on; Tab reaches the
      // choice, for Unreadable.
      var box = target.closest("[data-entry-question]");
      var typed = target.value.trim() !== "";
      var status = box && box.querySelector('input[type=radio][value="' +
        (typed ? "_written" : "_blank") + '"]');
      if (status && ((typed && event.key === "Tab") || (!typed && event.key === "Enter"))) {
        event.preventDefault();
        status.checked = true;
        if (!typed) {
          announce(form.getAttribute("data-announce-chosen"), status);
        }
        moveOn(box);
        return;
      }
    }
    if (event.ctrlKey || event.metaKey || event.altKey || target.tagName === "TEXTAREA") {
      return; // written answers are typed as they are, keys and all
    }
    if (target.hasAttribute("data-entry-reference")) {
      if (event.key === "Enter" && questions.length) {
        event.preventDefault(); // not a save: on to who is answering
        firstInput(questions[0]).focus();
      }
      return;
    }
    if (target.type !== "radio" && target.type !== "checkbox") {
      return;
    }
    var question = target.closest("[data-entry-question]");
    if (!question) {
      return;
    }
    if (target.type === "checkbox" && event.key === "Enter") {
      event.preventDefault(); // ticking is done: move on, rather than save half a sheet
      moveOn(question);
      return;
    }
    var key = (event.key || "").toLowerCase();
    key = SPECIAL[key] || key;
    var group = target.closest(".nhsuk-radios, .nhsuk-checkboxes");
    var option = group && group.querySelector('input[data-key="' + key + '"]');
    if (option) {
      event.preventDefault();
      pick(option, question);
    }
  });
})();
