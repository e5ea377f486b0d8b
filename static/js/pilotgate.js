// Pilotgate's own script: behaviour bound from data attributes, since the
// Content-Security-Policy allows no inline script or event handler.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// A people picker's search box filters its select through htmx: without script it
// stays hidden and the plain select is used.
const showPeopleSearch = (root) => {
  root.querySelectorAll("input.people-search[hidden]").forEach((box) => {
    box.hidden = false;
  });
};
document.addEventListener("DOMContentLoaded", () => showPeopleSearch(document));
document.addEventListener("htmx:afterSettle", (event) => showPeopleSearch(event.detail.elt));
