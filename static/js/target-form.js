// The propose-target form: when the period kind changes, a start date still at a default moves to the next
// period of the new kind (the select carries them as data-next-<kind>); a date the person typed is kept.
(() => {
  const kind = document.getElementById("id_period_kind");
  const start = document.getElementById("id_period_start");
  if (!kind || !start) return;
  const defaults = () => Object.values(kind.dataset);
  kind.addEventListener("change", () => {
    const next = kind.dataset[`next${kind.value.charAt(0).toUpperCase()}${kind.value.slice(1)}`];
    if (next && (start.value === "" || defaults().includes(start.value))) start.value = next;
  });
})();
