// Small progressive enhancements; every page works without them.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) {
    event.preventDefault();
  }
});

// Account form: show only the part that fits the chosen account type.
function syncRoleParts() {
  const role = document.querySelector("#f-role");
  if (!role) return;
  document.querySelectorAll(".role-part").forEach((part) => {
    const roles = (part.dataset.roles || "").split(" ");
    part.hidden = !roles.includes(role.value);
  });
}
document.addEventListener("change", (event) => {
  if (event.target.id === "f-role") syncRoleParts();
});
document.addEventListener("DOMContentLoaded", syncRoleParts);
