// A definition's criteria ({"conditions": [...]}) as rows of field / operator / value and "k of these BANT
// facts", built from the language the server publishes (data-language); written back into the JSON textarea
// it replaces, which the server validates as always. Without JavaScript the textarea stays.
(() => {
  const { el, removeButton, conditionControls, factsControls, mount } = window.crmEditors;

  document.querySelectorAll("textarea[data-language]").forEach((textarea) => {
    const lang = JSON.parse(textarea.dataset.language);
    mount(textarea, '{"conditions": []}', (box, doc, write) => {
      if (!Array.isArray(doc.conditions)) doc.conditions = [];
      const list = el("ol", { class: "criteria-rows" });
      const addValue = el("button", { type: "button", class: "secondary small" }, "Add a condition");
      const addFacts = el("button", { type: "button", class: "secondary small" }, "Add BANT facts");
      box.append(list, el("div", { class: "actions" }, addValue, addFacts));
      textarea.closest("div")?.querySelector("label")?.setAttribute("hidden", "");

      const add = (condition) => {
        const n = list.children.length + 1;
        const row = el("li", { class: "criteria-row" });
        const prefix = `Condition ${n}`;
        const part = "facts" in condition
          ? factsControls(lang, condition, prefix, `${textarea.id}-c${n}`, write)
          : conditionControls(lang, condition, prefix, write);
        row.read = part.read;
        row.append(...part.controls, removeButton(`Remove condition ${n}`, row, write));
        list.append(row);
      };
      doc.conditions.forEach(add);
      addValue.addEventListener("click", () => { add({ field: "score", op: "gte", value: 40 }); write(); list.lastChild.querySelector("select").focus(); });
      addFacts.addEventListener("click", () => { add({ facts: [...lang.facts], at_least: 3 }); write(); });
      return () => ({ conditions: [...list.children].map((row) => row.read()) });
    });
  });
})();
