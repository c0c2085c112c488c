// The workspace's small behaviours: the phone menu, toasts that go away on their own, and htmx errors
// shown as toasts instead of failing silently.
(() => {
  const toggle = document.querySelector(".menu-toggle");
  const nav = document.getElementById("sidenav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  function dismissLater(toast) {
    if (toast.classList.contains("error")) return; // an error stays until the person has read it
    setTimeout(() => toast.remove(), 6000);
  }
  document.addEventListener("click", (event) => {
    const close = event.target.closest(".toast-close");
    if (close) close.closest(".toast").remove();
  });
  document.querySelectorAll(".toast").forEach(dismissLater);

  window.crmToast = (text, kind = "success") => {
    const region = document.querySelector(".toasts");
    if (!region) return;
    const toast = document.createElement("div");
    toast.className = `toast ${kind}`;
    const p = document.createElement("p");
    p.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    toast.append(p, close);
    region.append(toast);
    dismissLater(toast);
  };

  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    let text = `The server answered ${xhr.status}.`;
    try {
      text = JSON.parse(xhr.responseText).detail || text;
    } catch (_) { /* an HTML error page: keep the status line */ }
    window.crmToast(text, "error");
  });
})();
