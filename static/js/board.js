// The pipeline board. A card moves by drag and drop or by its "Move to" form; either way the move is one
// POST to the API's transition endpoint (the one door). A refused move leaves the card where it was and
// lists every failed check with what can be done about it.
(() => {
  const board = document.querySelector(".board");
  if (!board) return;
  const feedback = document.getElementById("board-feedback");
  const moves = JSON.parse(board.dataset.moves);
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value;
  const labels = Object.fromEntries(Object.values(moves).flat());
  document.querySelectorAll(".board-column").forEach((col) => {
    labels[col.dataset.stage] = col.querySelector("h2 span").textContent;
  });

  const column = (stage) => board.querySelector(`.board-column[data-stage="${stage}"]`);

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([key, value]) => node.setAttribute(key, value));
    node.append(...children);
    return node;
  }

  function setCount(stage, delta) {
    const col = column(stage);
    const badge = col?.querySelector("[data-count]");
    if (!badge) return;
    const count = Number(badge.textContent) + delta;
    badge.textContent = String(count);
    col.classList.toggle("is-empty", count === 0);
  }

  function refreshTargets(card) {
    const select = card.querySelector("select[name=to_stage]");
    const hidden = card.querySelector("input[name=from_stage]");
    hidden.value = card.dataset.stage;
    select.replaceChildren(el("option", { value: "" }, "Move to…"));
    (moves[card.dataset.stage] || []).forEach(([key, label]) => select.append(el("option", { value: key }, label)));
  }

  function remedyControl(card, check, toStage) {
    const lead = card.dataset.lead;
    if (check.remedy === "request_approval") {
      const button = el("button", { type: "button", class: "small" }, "Ask for approval");
      button.addEventListener("click", () => requestApproval(lead, toStage, button));
      return button;
    }
    if (check.remedy === "log_call_report") return el("a", { href: `/leads/${lead}/#call-reports` }, "Log a call report");
    if (check.remedy === "update_lead") return el("a", { href: `/leads/${lead}/#edit` }, "Update the lead's details");
    return null;
  }

  function showRefusal(card, problem, toStage) {
    card.classList.add("refused");
    const items = (problem.failed || []).map((check) => {
      const li = el("li", {}, `${check.rule}: ${check.check} — ${check.reason} `);
      const remedy = remedyControl(card, check, toStage);
      if (remedy) li.append(remedy);
      return li;
    });
    const title = `${card.dataset.name} was not moved to ${labels[toStage] || toStage}`;
    const box = el("div", { class: "refusal", role: "alert" }, el("h2", {}, title));
    box.append(items.length ? el("ul", {}, ...items) : el("p", {}, problem.detail || "The move was refused."));
    feedback.replaceChildren(box);
    feedback.focus();
  }

  async function requestApproval(lead, toStage, button) {
    button.disabled = true;
    const response = await post(`/api/v1/leads/${lead}/approval-requests/`, { to_stage: toStage });
    const body = await response.json();
    if (response.ok) {
      window.crmToast(`Approval asked: a ${body[0].role.replace("_", " ")} will decide.`);
      button.replaceWith(el("span", { class: "badge status-pending" }, "approval asked"));
    } else {
      window.crmToast(body.detail || "The approval could not be asked.", "error");
      button.disabled = false;
    }
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(data),
    });
  }

  async function moveCard(card, toStage) {
    const fromStage = card.dataset.stage;
    if (!toStage || toStage === fromStage) return;
    card.setAttribute("aria-busy", "true");
    const response = await post(`/api/v1/leads/${card.dataset.lead}/transition/`, {
      to_stage: toStage,
      from_stage: fromStage,
    });
    card.removeAttribute("aria-busy");
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      showRefusal(card, body, toStage);
      return;
    }
    feedback.replaceChildren();
    card.classList.remove("refused");
    const target = column(toStage).querySelector(".cards");
    target.querySelector(".empty-column")?.remove();
    target.prepend(card);
    card.dataset.stage = toStage;
    setCount(fromStage, -1);
    setCount(toStage, +1);
    refreshTargets(card);
    const owner = body.to_owner && body.to_owner !== body.from_owner ? `; now owned by ${body.to_owner}` : "";
    window.crmToast(`Moved ${card.dataset.name} to ${labels[toStage]}${owner}.`);
    card.querySelector("select").focus();
  }

  board.addEventListener("submit", (event) => {
    const form = event.target.closest("form.move");
    if (!form) return;
    event.preventDefault();
    moveCard(form.closest(".board-card"), form.querySelector("select").value);
  });

  let dragged = null;
  board.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".board-card");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.lead);
  });
  board.addEventListener("dragend", () => {
    dragged?.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach((col) => col.classList.remove("drop-target"));
  });
  board.addEventListener("dragover", (event) => {
    const col = event.target.closest(".board-column");
    if (!dragged || !col || col.dataset.stage === dragged.dataset.stage) return;
    event.preventDefault();
    col.classList.add("drop-target");
  });
  board.addEventListener("dragleave", (event) => {
    const col = event.target.closest(".board-column");
    if (col && !col.contains(event.relatedTarget)) col.classList.remove("drop-target");
  });
  board.addEventListener("drop", (event) => {
    const col = event.target.closest(".board-column");
    if (!dragged || !col) return;
    event.preventDefault();
    col.classList.remove("drop-target");
    moveCard(dragged, col.dataset.stage);
  });
})();

// A manager gives a card to someone else through one shared dialog (the link opens the lead's page without JS).
(() => {
  const dialog = document.getElementById("give-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-give]");
    if (!link) return;
    event.preventDefault();
    const card = link.closest(".board-card");
    dialog.querySelector("input[name=ids]").value = link.dataset.give;
    dialog.querySelector("[data-give-name]").textContent = card?.dataset.name || "this lead";
    dialog.showModal();
    dialog.querySelector("select[name=to_owner]").focus();
  });
})();
