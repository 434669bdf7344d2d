// Progressive enhancements for the accounts pages; every page works without this file.
(function () {
  "use strict";

  // Filter forms marked data-autosubmit apply as soon as a select changes.
  function enhanceAutosubmit(root) {
    root.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      if (form.dataset.enhanced) return;
      form.dataset.enhanced = "1";
      form.classList.add("is-enhanced");
      form.addEventListener("change", function (event) {
        if (event.target.matches("select")) form.requestSubmit();
      });
    });
  }

  // Show a chosen avatar before it is uploaded.
  function enhanceAvatarPreview(root) {
    var input = root.querySelector('input[type="file"][name="avatar"]');
    var holder = root.querySelector(".avatar-field .avatar");
    if (!input || !holder || input.dataset.enhanced) return;
    input.dataset.enhanced = "1";
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\/(jpeg|png|webp)$/.test(file.type)) return;
      var img = document.createElement("img");
      img.className = "avatar avatar-large";
      img.alt = "";
      img.width = 112;
      img.height = 112;
      img.src = URL.createObjectURL(file);
      holder.replaceWith(img);
      holder = img;
    });
  }

  function enhance(root) {
    enhanceAutosubmit(root);
    enhanceAvatarPreview(root);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
})();
