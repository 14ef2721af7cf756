// Behaviour every page shares, kept out of the markup so the Content-Security-Policy can forbid inline script.
"use strict";
document.addEventListener("change", (event) => {
  // A select marked data-autosubmit sends its form when changed (the year and term pickers).
  const field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) {
    field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
  }
});
