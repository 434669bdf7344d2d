/* Collections: progressive enhancements on top of forms that work without JavaScript.
 * - Refused changes (400) still replace the fragment, so their message is shown.
 * - Drag and drop reorders a collection's titles; it posts the same "move to position"
 *   form the page offers without JavaScript.
 * - After a change re-renders the list, focus returns to the control that was used.
 * Loaded with `defer` from the collection page and the title page; safe to load twice.
 */
(function () {
  "use strict";
  if (window.collectionsEnhanced) return;
  window.collectionsEnhanced = true;

  var FRAGMENTS = ["collection-items", "add-to-collection", "title-collections"];
  var pendingFocus = null;
  var dragged = null;

  function inFragment(element) {
    for (var i = 0; i < FRAGMENTS.length; i++) {
      if (element && element.closest && element.closest("#" + FRAGMENTS[i])) return true;
    }
    return false;
  }

  document.documentElement.classList.add("collections-js");

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr && detail.xhr.status === 400 && inFragment(detail.target)) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    var control = source && source.querySelector ? source.querySelector("[data-focus-key]") : null;
    pendingFocus = control ? control.getAttribute("data-focus-key") : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pendingFocus) return;
    var target = document.querySelector('[data-focus-key="' + pendingFocus + '"]');
    if (target && target.disabled) {
      var item = target.closest(".collection-item");
      target = item ? item.querySelector(".item-name a") : null;
    }
    if (target) target.focus();
    pendingFocus = null;
  });

  // Drag and drop ------------------------------------------------------------------

  function itemOf(element) {
    return element && element.closest ? element.closest(".collection-item[data-move-url]") : null;
  }

  function clearMarks() {
    document.querySelectorAll(".collection-item.drop-before, .collection-item.drop-after")
      .forEach(function (item) { item.classList.remove("drop-before", "drop-after"); });
  }

  document.addEventListener("dragstart", function (event) {
    var item = itemOf(event.target);
    if (!item || event.target.closest("input, textarea, select, summary, details[open]")) return;
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.id);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearMarks();
  });

  document.addEventListener("dragover", function (event) {
    var item = itemOf(event.target);
    if (!dragged || !item || item === dragged || item.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearMarks();
    var from = Number(dragged.getAttribute("data-position"));
    var to = Number(item.getAttribute("data-position"));
    item.classList.add(to < from ? "drop-before" : "drop-after");
  });

  document.addEventListener("drop", function (event) {
    var item = itemOf(event.target);
    if (!dragged || !item || item === dragged) return;
    event.preventDefault();
    var source = dragged;
    var token = source.querySelector('input[name="csrfmiddlewaretoken"]');
    clearMarks();
    source.classList.remove("dragging");
    source.classList.add("moving");
    pendingFocus = "up-" + source.id.replace("item-", "");
    window.htmx.ajax("POST", source.getAttribute("data-move-url"), {
      source: source,
      target: "#collection-items",
      swap: "outerHTML",
      values: {
        position: item.getAttribute("data-position"),
        page: source.getAttribute("data-page"),
        csrfmiddlewaretoken: token ? token.value : ""
      }
    });
    dragged = null;
  });
})();
