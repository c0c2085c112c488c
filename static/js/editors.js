// Building blocks of the structured editors (criteria, rules): a DOM helper and the rows of the criteria
// language — "field operator value" and "at least k of these BANT facts". Each row knows how to read itself
// back into the JSON the server validates.
window.crmEditors = (() => {
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

  function select(name, label, options, value) {
    const control = labelled(el("select", { name }), label);
    options.forEach(([key, text]) => control.append(el("option", { value: key }, text)));
    if (value !== undefined && value !== null) control.value = String(value);
    return control;
  }

  function removeButton(label, row, onChange) {
    const button = el("button", { type: "button", class: "danger small", "aria-label": label }, "×");
    button.addEventListener("click", () => { row.remove(); onChange(); });
    return button;
  }

  // "field operator value": `prefix` names the row for screen readers, e.g. "Condition 2".
  function conditionControls(lang, condition, prefix, onChange) {
    const kinds = Object.fromEntries(lang.fields.map((f) => [f.name, f.kind]));
    const field = select(`${prefix}-field`, `${prefix}: field`, lang.fields.map((f) => [f.name, f.name.replaceAll("_", " ")]), condition.field || "score");
    const op = labelled(el("select", { name: `${prefix}-op` }), `${prefix}: operator`);
    const value = labelled(el("input", { name: `${prefix}-value` }), `${prefix}: value`);

    function syncValue() {
      value.hidden = lang.no_value.includes(op.value);
      value.type = kinds[field.value] === "number" ? "number" : "text";
      const range = lang.ranges[field.value];
      if (range) { value.min = range[0]; value.max = range[1]; } else { value.removeAttribute("min"); value.removeAttribute("max"); }
      value.placeholder = ["in", "not_in"].includes(op.value) ? "values, separated by commas" : "value";
    }
    function syncOperators(keep) {
      const ops = lang.operators[kinds[field.value]];
      op.replaceChildren(...ops.map((o) => el("option", { value: o.op }, o.words)));
      if (keep && ops.some((o) => o.op === keep)) op.value = keep;
      syncValue();
    }
    syncOperators(condition.op);
    if (condition.value !== undefined) value.value = Array.isArray(condition.value) ? condition.value.join(", ") : condition.value;
    field.addEventListener("change", () => { syncOperators(op.value); onChange(); });
    op.addEventListener("change", () => { syncValue(); onChange(); });
    value.addEventListener("input", onChange);

    function read() {
      const out = { field: field.value, op: op.value };
      if (condition.label) out.label = condition.label;
      if (value.hidden) return out;
      if (["in", "not_in"].includes(op.value)) out.value = value.value.split(",").map((v) => v.trim()).filter(Boolean);
      else if (kinds[field.value] === "number" && value.value !== "" && !Number.isNaN(Number(value.value))) out.value = Number(value.value);
      else out.value = value.value;
      return out;
    }
    return { controls: [field, op, value], read };
  }

  function factsControls(lang, condition, prefix, idBase, onChange) {
    const group = el("fieldset", {}, el("legend", {}, `${prefix}: at least`));
    const atLeast = labelled(el("input", { type: "number", min: "1", max: String(lang.facts.length), name: `${prefix}-at-least` }), `${prefix}: how many facts at least`);
    atLeast.value = condition.at_least || (condition.facts || lang.facts).length;
    atLeast.addEventListener("input", onChange);
    group.append(atLeast, " of ");
    const boxes = lang.facts.map((fact) => {
      const box = el("input", { type: "checkbox", value: fact, id: `${idBase}-${fact}` });
      box.checked = (condition.facts || lang.facts).includes(fact);
      box.addEventListener("change", onChange);
      group.append(el("label", { for: box.id }, box, ` ${fact}`), " ");
      return box;
    });
    group.append(" confirmed");
    function read() {
      const out = { facts: boxes.filter((b) => b.checked).map((b) => b.value), at_least: Number(atLeast.value) };
      if (condition.label) out.label = condition.label;
      return out;
    }
    return { controls: [group], read };
  }

  // A list of conditions as rows, with buttons that add a "field operator value" row or a BANT row. `name(n)`
  // names row n for screen readers ("Condition 2", "Route 1, condition 2"); `buttonPrefix` tells apart the add
  // buttons of several lists on one page ("Route 1: "). Returns the list, its buttons and a reader.
  function conditionList(lang, conditions, { name, idBase, onChange, buttonPrefix = "" }) {
    const list = el("ol", { class: "criteria-rows" });
    const lowerFirst = (text) => `${text[0].toLowerCase()}${text.slice(1)}`;
    const add = (condition) => {
      const n = list.children.length + 1;
      const row = el("li", { class: "criteria-row" });
      const part = "facts" in condition
        ? factsControls(lang, condition, name(n), `${idBase}-c${n}`, onChange)
        : conditionControls(lang, condition, name(n), onChange);
      row.read = part.read;
      row.append(...part.controls, removeButton(`Remove ${lowerFirst(name(n))}`, row, onChange));
      list.append(row);
    };
    const button = (text) => el("button", { type: "button", class: "secondary small", "aria-label": buttonPrefix ? `${buttonPrefix}${lowerFirst(text)}` : undefined }, text);
    const addValue = button("Add a condition");
    const addFacts = button("Add BANT facts");
    conditions.forEach(add);
    addValue.addEventListener("click", () => { add({ field: "score", op: "gte", value: 40 }); onChange(); list.lastChild.querySelector("select").focus(); });
    addFacts.addEventListener("click", () => { add({ facts: [...lang.facts], at_least: 3 }); onChange(); });
    return { list, buttons: el("div", { class: "actions" }, addValue, addFacts), read: () => [...list.children].map((row) => row.read()) };
  }

  // Replaces a JSON textarea by an editor; `build(box, write)` fills `box` and returns a function that reads
  // the edited document. Unparseable JSON leaves the textarea as it is (the server says what is wrong).
  function mount(textarea, fallback, build) {
    let doc;
    try {
      doc = JSON.parse(textarea.value || fallback);
    } catch (_) {
      return;
    }
    const box = el("div", { class: "criteria-editor" });
    textarea.hidden = true;
    textarea.after(box);
    let read = () => doc;
    const write = () => { textarea.value = JSON.stringify(read(), null, 2); };
    read = build(box, doc, write);
  }

  return { el, labelled, select, removeButton, conditionControls, factsControls, conditionList, mount };
})();
