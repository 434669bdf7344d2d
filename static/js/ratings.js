// Rating panel enhancements (the panel works without them): a live character count
// for the review, and focus on the confirmation after htmx saves the rating in place.
(function () {
  "use strict";
  if (window.movieRatingsPanel) {
    return;
  }
  window.movieRatingsPanel = true;

  var format = new Intl.NumberFormat("en");

  function updateCounter(textarea) {
    var form = textarea.closest("form");
    var counter = form && form.querySelector("[data-review-counter]");
    if (!counter) {
      return;
    }
    var limit = parseInt(textarea.getAttribute("maxlength"), 10);
    var used = textarea.value.length;
    counter.textContent = used ? format.format(used) + " / " + format.format(limit) : "";
    counter.classList.toggle("is-near-limit", used > limit * 0.9);
  }

  function init(root) {
    root.querySelectorAll("[data-review-input]").forEach(updateCounter);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-review-input]")) {
      updateCounter(event.target);
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var panel = document.getElementById("rating-panel");
    if (!panel) {
      return;
    }
    init(panel);
    var notice = panel.querySelector("[data-rating-notice]");
    if (notice) {
      notice.focus();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
