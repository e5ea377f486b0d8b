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
