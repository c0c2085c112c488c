// The call report form in a few clicks: outcome quick picks fill the outcome; each taxonomy's search box is
// an accessible combobox over GET /api/v1/tags/?kind=…&q=… (accepted terms first, then your suggestions).
// Enter or a click adds the term as a chip (a chip's × removes it); a term not found can be suggested inline
// (POST /api/v1/tags/), and the server's refusal — "too close to …, use …" — is shown beside the box.
// Without JavaScript the form still posts: its chips are plain checkboxes.
(() => {
  document.querySelectorAll("form[data-call-report]").forEach((form) => {
    const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    setUpOutcome(form);
    form.querySelectorAll(".tag-picker").forEach((picker) => setUpPicker(picker, token));
    form.addEventListener("click", (event) => {
      const remove = event.target.closest(".chip-remove");
      if (remove) remove.closest(".chip").remove();
    });
  });

  function setUpOutcome(form) {
    const picks = form.querySelector(".outcome-picks");
    const input = form.querySelector("input[name=outcome]");
    if (!picks || !input) return;
    picks.hidden = false;
    const sync = () => picks.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.outcome === input.value)));
    picks.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-outcome]");
      if (!button) return;
      input.value = button.dataset.outcome;
      sync();
    });
    input.addEventListener("input", sync);
    sync();
  }

  function setUpPicker(picker, token) {
    const field = picker.dataset.field;
    const kind = picker.dataset.kind;
    const box = picker.querySelector(".tag-search");
    const input = box.querySelector("input");
    const list = box.querySelector(".tag-options");
    const message = box.querySelector(".tag-message");
    const chips = picker.querySelector(".chips");
    box.hidden = false;
    let options = [];
    let active = -1;
    let pending = null;
    let timer = null;
    let shownFor = null; // the query the open list answers

    const chosen = () => [...picker.querySelectorAll(`input[name="${field}"]`)].filter((i) => i.type === "hidden" || i.checked).map((i) => i.value);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      if (index >= 0) input.setAttribute("aria-activedescendant", list.children[index].id);
    }

    function render(q, tags) {
      shownFor = q;
      const taken = new Set(chosen());
      options = tags.filter((t) => !taken.has(t.slug)).map((t) => ({ tag: t }));
      const exact = tags.some((t) => [t.label, t.slug, ...t.synonyms].some((w) => w.toLowerCase() === q.toLowerCase()));
      if (q && !exact) options.push({ suggest: q });
      list.replaceChildren(...options.map((option, i) => {
        const li = document.createElement("li");
        li.id = `${field}-option-${i}`;
        li.setAttribute("role", "option");
        if (option.tag) {
          li.textContent = option.tag.label;
          if (option.tag.status === "suggested") li.append(" ", Object.assign(document.createElement("em"), { textContent: "(your suggestion)" }));
        } else {
          li.textContent = `Suggest “${option.suggest}” as a new term`;
          li.className = "suggest";
        }
        li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(i); });
        return li;
      }));
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
      highlight(options.length ? 0 : -1);
    }

    function search() {
      const q = input.value.trim();
      message.textContent = "";
      if (!q) { close(); pending = null; return Promise.resolve(); }
      const url = `/api/v1/tags/?kind=${encodeURIComponent(kind)}&q=${encodeURIComponent(q)}`;
      const request = fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : []))
        .then((tags) => { if (request === pending) render(q, tags); })
        .catch(() => { message.textContent = "The terms could not be loaded; try again."; });
      pending = request;
      return request;
    }

    function addChip(tag) {
      const box = picker.querySelector(`input[type=checkbox][name="${field}"][value="${CSS.escape(tag.slug)}"]`);
      if (box) { box.checked = true; return; }
      if (chosen().includes(tag.slug)) return;
      const chip = document.createElement("span");
      chip.className = "chip chosen";
      chip.append(tag.label);
      if (tag.status === "suggested") chip.append(" ", Object.assign(document.createElement("em"), { className: "muted", textContent: "(suggested)" }));
      chip.append(Object.assign(document.createElement("input"), { type: "hidden", name: field, value: tag.slug }));
      const remove = Object.assign(document.createElement("button"), { type: "button", className: "chip-remove", textContent: "×" });
      remove.setAttribute("aria-label", `Remove ${tag.label}`);
      chip.append(remove);
      chips.append(chip);
    }

    function suggest(label) {
      return fetch("/api/v1/tags/", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ kind, label }),
      }).then((response) => response.json().then((body) => {
        if (response.ok) {
          addChip(body);
          message.textContent = body.status === "accepted" ? `Added “${body.label}”.` : `Suggested “${body.label}”: it counts once a curator accepts it.`;
          return;
        }
        const errors = body.errors || {};
        message.textContent = (errors.label || errors.kind || [body.detail || "The term was not suggested."]).join(" ");
      }));
    }

    function choose(index) {
      const option = options[index];
      if (!option) return Promise.resolve();
      input.value = "";
      close();
      if (option.tag) { addChip(option.tag); return Promise.resolve(); }
      return suggest(option.suggest);
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) return;
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if (event.key === "Enter") {
        event.preventDefault(); // Enter picks a term; it never submits the whole report half-filled
        if (!input.value.trim()) return;
        // Typed fast: the list may answer an older query, or none yet; pick once this one is answered.
        clearTimeout(timer);
        if (!list.hidden && shownFor === input.value.trim()) choose(active < 0 ? 0 : active);
        else search().then(() => choose(active < 0 ? 0 : active));
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }
})();
