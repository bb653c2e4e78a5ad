// Resource form: "Add a field" adds a row in place instead of reloading the form.
// Without JavaScript the button posts the form, which comes back with more empty rows.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-add-row]");
  const rows = document.querySelector("#field-rows");
  const template = document.querySelector("#field-row-template");
  if (!button || !rows || !template) return;
  button.type = "button";
  button.addEventListener("click", () => {
    const index = String(rows.querySelectorAll("tr").length);
    const html = template.innerHTML.replaceAll("__i__", index);
    rows.insertAdjacentHTML("beforeend", html);
    const added = rows.lastElementChild && rows.lastElementChild.querySelector("input");
    if (added) added.focus();
  });
});
