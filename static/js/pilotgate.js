// Pilotgate's own script: behaviour bound from data attributes, since the
// Content-Security-Policy allows no inline script or event handler.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
