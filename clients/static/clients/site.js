// A select marked data-autosubmit submits its form when it changes (the language switch, the
// period picker); without JavaScript the form's own button does it.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) {
    select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
  }
});
document.querySelectorAll("[data-js-hidden]").forEach((element) => { element.hidden = true; });
