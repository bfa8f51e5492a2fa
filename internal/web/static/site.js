// The error summary of a refused form takes the focus once the page has
// rendered (its autofocus attribute does it when scripts do not run): the
// components hide the page until they are ready, and a hidden element cannot
// take the focus.
const summary = document.querySelector(".dh-error-summary[autofocus]");
if (summary) {
  const container = summary.closest("gcds-container");
  const ready = container
    ? customElements.whenDefined("gcds-container").then(() => container.componentOnReady?.())
    : Promise.resolve();
  ready.then(() => requestAnimationFrame(() => summary.focus()));
}
