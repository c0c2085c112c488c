// A structured editor for criteria documents ({"conditions": [...]}): rows of field / operator / value and
// "k of these BANT facts" rows, built from the language the server publishes (data-language) and written
// back into the JSON textarea it replaces, which the server validates as always. Without JavaScript the
// textarea stays.
(() => {
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([key, value]) => {
      if (value !== undefined && value !== null) node.setAttribute(key, value);
    });
    node.append(...children);
    return node;
  }

  function labelled(control, text) {
    control.setAttribute("aria-label", text);
    return control;
  }

  function editor(textarea) {
    const lang = JSON.parse(textarea.dataset.language);
    const kinds = Object.fromEntries(lang.fields.map((f) => [f.name, f.kind]));
    let doc;
    try {
      doc = JSON.parse(textarea.value || '{"conditions": []}');
      if (!Array.isArray(doc.conditions)) throw new Error("no conditions");
    } catch (_) {
      return; // a document the editor cannot show stays as text, and the server says what is wrong
    }
    const box = el("div", { class: "criteria-editor" });
    const list = el("ol", { class: "criteria-rows" });
    const addValue = el("button", { type: "button", class: "secondary small" }, "Add a condition");
    const addFacts = el("button", { type: "button", class: "secondary small" }, "Add BANT facts");
    box.append(list, el("div", { class: "actions" }, addValue, addFacts));
    textarea.hidden = true;
    textarea.closest("div")?.querySelector("label")?.setAttribute("hidden", "");
    textarea.after(box);

    function write() {
      const conditions = [...list.children].map((row) => row.read());
      textarea.value = JSON.stringify({ conditions }, null, 2);
    }

    function valueRow(condition, n) {
      const row = el("li", { class: "criteria-row" });
      const field = labelled(el("select", { name: `c${n}-field` }), `Condition ${n}: field`);
      lang.fields.forEach((f) => field.append(el("option", { value: f.name }, f.name.replaceAll("_", " "))));
      const op = labelled(el("select", { name: `c${n}-op` }), `Condition ${n}: operator`);
      const value = labelled(el("input", { name: `c${n}-value` }), `Condition ${n}: value`);
      const remove = el("button", { type: "button", class: "danger small", "aria-label": `Remove condition ${n}` }, "×");
      field.value = condition.field || "score";

      function syncOperators(keep) {
        const kind = kinds[field.value];
        op.replaceChildren(...lang.operators[kind].map((o) => el("option", { value: o.op }, o.words)));
        if (keep && lang.operators[kind].some((o) => o.op === keep)) op.value = keep;
        syncValue();
      }
      function syncValue() {
        const kind = kinds[field.value];
        value.hidden = lang.no_value.includes(op.value);
        value.type = kind === "number" ? "number" : "text";
        const range = lang.ranges[field.value];
        if (range) { value.min = range[0]; value.max = range[1]; } else { value.removeAttribute("min"); value.removeAttribute("max"); }
        value.placeholder = ["in", "not_in"].includes(op.value) ? "values, separated by commas" : "value";
      }
      syncOperators(condition.op);
      if (condition.value !== undefined) value.value = Array.isArray(condition.value) ? condition.value.join(", ") : condition.value;
      field.addEventListener("change", () => { syncOperators(op.value); write(); });
      op.addEventListener("change", () => { syncValue(); write(); });
      value.addEventListener("input", write);
      remove.addEventListener("click", () => { row.remove(); write(); });
      row.append(field, op, value, remove);
      row.read = () => {
        const out = { field: field.value, op: op.value };
        if (condition.label) out.label = condition.label;
        if (value.hidden) return out;
        if (["in", "not_in"].includes(op.value)) out.value = value.value.split(",").map((v) => v.trim()).filter(Boolean);
        else if (kinds[field.value] === "number" && value.value !== "" && !Number.isNaN(Number(value.value))) out.value = Number(value.value);
        else out.value = value.value;
        return out;
      };
      return row;
    }

    function factsRow(condition, n) {
      const row = el("li", { class: "criteria-row facts" });
      const group = el("fieldset", {}, el("legend", {}, `Condition ${n}: at least`));
      const atLeast = labelled(el("input", { type: "number", min: "1", max: String(lang.facts.length), name: `c${n}-at-least` }), `Condition ${n}: how many facts at least`);
      atLeast.value = condition.at_least || (condition.facts || lang.facts).length;
      group.append(atLeast, " of ");
      const boxes = lang.facts.map((fact) => {
        const box = el("input", { type: "checkbox", value: fact, id: `${textarea.id}-c${n}-${fact}` });
        box.checked = (condition.facts || lang.facts).includes(fact);
        box.addEventListener("change", write);
        group.append(el("label", { for: box.id }, box, ` ${fact}`), " ");
        return box;
      });
      group.append(" confirmed");
      atLeast.addEventListener("input", write);
      const remove = el("button", { type: "button", class: "danger small", "aria-label": `Remove condition ${n}` }, "×");
      remove.addEventListener("click", () => { row.remove(); write(); });
      row.append(group, remove);
      row.read = () => {
        const out = { facts: boxes.filter((b) => b.checked).map((b) => b.value), at_least: Number(atLeast.value) };
        if (condition.label) out.label = condition.label;
        return out;
      };
      return row;
    }

    const add = (condition) => {
      const n = list.children.length + 1;
      list.append("facts" in condition ? factsRow(condition, n) : valueRow(condition, n));
    };
    doc.conditions.forEach(add);
    addValue.addEventListener("click", () => { add({ field: "score", op: "gte", value: 40 }); write(); list.lastChild.querySelector("select").focus(); });
    addFacts.addEventListener("click", () => { add({ facts: [...lang.facts], at_least: 3 }); write(); });
  }

  document.querySelectorAll("textarea[data-language]").forEach(editor);
})();
