// Strategy pages: ask before a destructive form is sent (forms marked data-confirm="question").
if (!window.opencmoStrategyConfirm) {
  window.opencmoStrategyConfirm = true;
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
}
