/* Follow and like buttons: a refusal (4xx: "You cannot like your own review") is shown
   beside the button that asked, in its .social-error region. */
(function () {
  "use strict";
  document.addEventListener("htmx:responseError", function (event) {
    var source = event.detail.elt;
    var box = source && source.closest ? source.closest("[data-social]") : null;
    if (!box) return;
    var error = box.querySelector(".social-error");
    if (error) error.textContent = event.detail.xhr.responseText;
  });
})();
