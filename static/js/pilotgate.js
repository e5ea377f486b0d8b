// Pilotgate's own script: behaviour bound from data attributes, since the
// Content-Security-Policy allows no inline script or event handler.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// On a phone a wide table scrolls inside its own box (static/css/pilotgate.css): the
// keyboard must reach it too, so a table that overflows becomes focusable. Tables in a
// .table-scroll box are focusable through it already.
function focusableWideTables() {
  document.querySelectorAll("table").forEach((table) => {
    if (!table.closest(".table-scroll") && table.scrollWidth > table.clientWidth) {
      table.tabIndex = 0;
    }
  });
}
focusableWideTables();
window.addEventListener("resize", focusableWideTables);
document.addEventListener("htmx:afterSettle", focusableWideTables);

// A people picker's search box filters its select through htmx: without script it
// stays hidden and the plain select is used.
const showPeopleSearch = (root) => {
  root.querySelectorAll("input.people-search[hidden]").forEach((box) => {
    box.hidden = false;
  });
};
document.addEventListener("DOMContentLoaded", () => showPeopleSearch(document));
document.addEventListener("htmx:afterSettle", (event) => showPeopleSearch(event.detail.elt));
