// Copy buttons (`<button data-copy="id" hidden>`): shown only where JavaScript runs, each copies the value (or
// the text) of the element it names and says so; where the clipboard is refused the text is selected instead.
(() => {
  const buttons = document.querySelectorAll("[data-copy]");
  buttons.forEach((button) => { button.hidden = false; });

  function selectText(source) {
    if (typeof source.select === "function") {
      source.select();
      return;
    }
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = "value" in source ? source.value : source.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
      if (window.crmToast) window.crmToast("Copied to the clipboard.");
    } catch (_) {
      selectText(source);
      if (window.crmToast) window.crmToast("Selected: press Ctrl+C (⌘C) to copy.");
    }
  });
})();
