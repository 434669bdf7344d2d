/* Catalog pages: progressive enhancements only; every page works without this file. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // The browse filters start unfolded where there is room for them beside the results.
  function openWideFilters() {
    if (window.matchMedia("(min-width: 56rem)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
        details.open = true;
      });
    }
  }
  // Title page: the bar with the title and your (probable) score appears once the
  // title's heading has scrolled out of sight above, and goes when it comes back.
  function watchStickyBar() {
    var heading = document.getElementById("title-heading");
    if (!document.querySelector("[data-sticky-bar]") || !heading || !("IntersectionObserver" in window)) {
      return;
    }
    var past = false;
    function show() {
      // Looked up each time: saving a rating redraws the bar (htmx, out of band).
      var bar = document.querySelector("[data-sticky-bar]");
      if (bar) {
        bar.hidden = !past;
      }
    }
    new IntersectionObserver(function (entries) {
      var entry = entries[entries.length - 1];
      past = !entry.isIntersecting && entry.boundingClientRect.top <= 0;
      show();
    }).observe(heading);
    document.body.addEventListener("htmx:oobAfterSwap", show);
  }

  function ready() {
    openWideFilters();
    watchStickyBar();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }

  // Trailers: nothing is requested from the video site until the viewer clicks.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-embed-src]");
    if (!link) {
      return;
    }
    var src = link.getAttribute("data-embed-src");
    if (!/^https:\/\/(www\.youtube-nocookie\.com|player\.vimeo\.com)\//.test(src)) {
      return;
    }
    event.preventDefault();
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = link.getAttribute("data-embed-title") || "Trailer";
    frame.className = "trailer-iframe";
    frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture; fullscreen");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    link.replaceWith(frame);
    frame.focus();
  });
})();
