// Report form: when "Something else" is chosen, say that details are needed and move
// the cursor there. The server checks the same rule; without JavaScript nothing is lost.
(function () {
  "use strict";

  function setup(form) {
    var details = form.querySelector("[data-report-details]");
    if (!details) return;
    var label = form.querySelector('label[for="' + details.id + '"]');
    function update(focus) {
      var other = form.querySelector('input[name="reason"][value="other"]');
      var needed = Boolean(other && other.checked);
      details.required = needed;
      if (label) label.classList.toggle("is-required-hint", needed);
      if (needed && focus && !details.value) details.focus();
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "reason") update(true);
    });
    update(false);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".report-form").forEach(setup);
  });
})();
