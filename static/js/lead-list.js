// Bulk selection on the lead list: the action bar appears once a lead is chosen, and "select every lead on
// this page" does what it says. The moves themselves are one form post; the server runs each lead through
// its rules and reports every refusal.
(() => {
  const form = document.getElementById("bulk");
  if (!form) return;
  const bar = form.querySelector(".bulk-bar");
  const all = document.getElementById("select-page");
  const boxes = () => [...form.querySelectorAll("input[name=ids]:not(:disabled)")];
  function refresh() {
    const chosen = boxes().filter((box) => box.checked);
    bar.hidden = chosen.length === 0;
    bar.querySelector("[data-selected]").textContent = String(chosen.length);
    chosen.forEach((box) => box.closest("tr").classList.add("selected"));
    boxes().filter((box) => !box.checked).forEach((box) => box.closest("tr").classList.remove("selected"));
    if (all) all.checked = chosen.length > 0 && chosen.length === boxes().length;
  }
  form.addEventListener("change", (event) => {
    if (event.target === all) boxes().forEach((box) => { box.checked = all.checked; });
    refresh();
  });
  refresh();
})();
