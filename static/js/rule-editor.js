// A rule's structured parts as rows instead of JSON: preconditions (a kind and its parameter), routing (keep,
// round-robin in a team, routes of conditions each naming a team, a field's values mapped to people, or the
// directory) and escalations (when a condition holds, a role is involved or approves). The choices come from
// the server's registries (data-language on the form); the JSON textareas stay the source the server validates.
(() => {
  const form = document.querySelector("form.rule-form");
  if (!form) return;
  const lang = JSON.parse(form.dataset.language);
  const { el, labelled, select, removeButton, conditionControls, conditionList, mount } = window.crmEditors;
  const part = (name) => form.querySelector(`textarea[data-rule-part="${name}"]`);

  function paramControl(kind, spec, n, write) {
    const prefix = `Precondition ${n}`;
    if (kind === "definition_met") {
      const control = select(`p${n}-level`, `${prefix}: definition`, lang.definitions.map((d) => [d, d]), spec.level);
      control.addEventListener("change", write);
      return [control, () => ({ level: control.value })];
    }
    if (kind === "required_fields") {
      const group = el("fieldset", {}, el("legend", {}, `${prefix}: fields`));
      const boxes = lang.fields.map((f) => {
        const box = el("input", { type: "checkbox", value: f.name, id: `p${n}-${f.name}` });
        box.checked = (spec.fields || []).includes(f.name);
        box.addEventListener("change", write);
        group.append(el("label", { for: box.id }, box, ` ${f.name.replaceAll("_", " ")}`), " ");
        return box;
      });
      return [group, () => ({ fields: boxes.filter((b) => b.checked).map((b) => b.value) })];
    }
    const key = kind === "min_score" ? "score" : "days";
    const input = labelled(el("input", { type: "number", min: "1", max: key === "score" ? "100" : "3650", name: `p${n}-${key}` }), `${prefix}: ${key}`);
    input.value = spec[key] ?? (key === "score" ? 40 : 14);
    input.addEventListener("input", write);
    return [input, () => ({ [key]: Number(input.value) })];
  }

  function preconditionsEditor(textarea) {
    mount(textarea, "[]", (box, doc, write) => {
      const list = el("ol", { class: "criteria-rows" });
      const add = (spec) => {
        const n = list.children.length + 1;
        const row = el("li", { class: "criteria-row" });
        const kind = select(`p${n}-kind`, `Precondition ${n}: kind`, lang.kinds.map((k) => [k.name, k.words]), spec.kind || "min_score");
        let [control, readParams] = paramControl(kind.value, spec, n, write);
        kind.addEventListener("change", () => {
          const [next, reader] = paramControl(kind.value, {}, n, write);
          control.replaceWith(next);
          [control, readParams] = [next, reader];
          write();
        });
        row.read = () => ({ kind: kind.value, ...readParams() });
        row.append(kind, control, removeButton(`Remove precondition ${n}`, row, write));
        list.append(row);
      };
      (Array.isArray(doc) ? doc : []).forEach(add);
      const more = el("button", { type: "button", class: "secondary small" }, "Add a precondition");
      more.addEventListener("click", () => { add({ kind: "min_score", score: 40 }); write(); });
      box.append(list, el("div", { class: "actions" }, more));
      return () => [...list.children].map((row) => row.read());
    });
  }

  // kind "rules": routes tried in order, each "if every condition holds → round-robin in a team".
  function routesEditor(doc, teams, write) {
    const list = el("ol", { class: "route-list" });
    const add = (route) => {
      const r = list.children.length + 1;
      const item = el("li", { class: "route" });
      const when = conditionList(lang, route.when?.conditions || [], {
        name: (n) => `Route ${r}, condition ${n}`,
        idBase: `route${r}`,
        onChange: write,
        buttonPrefix: `Route ${r}: `,
      });
      const team = select(`route${r}-team`, `Route ${r}: round-robin in`, teams, route.team ?? "");
      team.addEventListener("change", write);
      item.read = () => ({ when: { conditions: when.read() }, team: Number(team.value) || null });
      item.append(
        el("div", { class: "criteria-row" }, el("strong", {}, `Route ${r}`), " when the lead meets every condition:", removeButton(`Remove route ${r}`, item, write)),
        when.list,
        when.buttons,
        el("div", { class: "criteria-row" }, "→ round-robin in ", team),
      );
      list.append(item);
    };
    const fresh = () => ({ when: { conditions: [{ field: "segment", op: "in" }] } });
    (Array.isArray(doc.routes) ? doc.routes : []).forEach(add);
    const more = el("button", { type: "button", class: "secondary small" }, "Add a route");
    more.addEventListener("click", () => { add(fresh()); write(); list.lastChild.querySelector("select").focus(); });
    const box = el("div", { class: "stack" }, el("p", { class: "muted" }, "The first route whose conditions the lead meets names the team."), list, el("div", { class: "criteria-row" }, more));
    const ensureOne = () => { if (!list.children.length) add(fresh()); };
    return { box, ensureOne, read: () => [...list.children].map((item) => item.read()) };
  }

  function routingEditor(textarea) {
    mount(textarea, '{"kind": "keep"}', (box, doc, write) => {
      const kind = select("routing-kind", "Routing: who gets the lead", [["keep", "the owner stays"], ["round_robin", "round-robin in a team"], ["rules", "by rules: the first route the lead matches"], ["match", "by a field's value"], ["directory", "the responsible person from the directory"]], doc.kind || "keep");
      const teams = [["", "—"], ...lang.teams];
      const team = select("routing-team", "Routing: team", teams, doc.team ?? "");
      const field = select("routing-field", "Routing: field", lang.match_fields.map((f) => [f, f]), doc.field);
      const fallback = select("routing-fallback", "Routing: otherwise round-robin in", [["", "nobody: the owner keeps it"], ...lang.teams], doc.fallback_team ?? "");
      const fallbackRow = el("div", { class: "criteria-row" }, el("span", { "aria-hidden": "true" }, "Otherwise round-robin in"), fallback);
      const pairs = el("ol", { class: "criteria-rows" });
      const addPair = (value, user) => {
        const n = pairs.children.length + 1;
        const row = el("li", { class: "criteria-row" });
        const input = labelled(el("input", { name: `m${n}-value`, value: value || "" }), `Match ${n}: value`);
        const person = select(`m${n}-user`, `Match ${n}: goes to`, lang.people, user);
        input.addEventListener("input", write);
        person.addEventListener("change", write);
        row.read = () => [input.value.trim(), Number(person.value)];
        row.append(input, " → ", person, removeButton(`Remove match ${n}`, row, write));
        pairs.append(row);
      };
      Object.entries(doc.map || {}).forEach(([value, user]) => addPair(value, user));
      const morePair = el("button", { type: "button", class: "secondary small" }, "Add a value");
      morePair.addEventListener("click", () => { addPair("", lang.people[0]?.[0]); write(); });
      const routes = routesEditor(doc.kind === "rules" ? doc : {}, teams, write);
      const teamRow = el("div", { class: "criteria-row" }, team);
      const matchRows = el("div", { class: "stack" }, el("div", { class: "criteria-row" }, field), pairs, el("div", { class: "criteria-row" }, morePair));
      const sync = () => {
        teamRow.hidden = kind.value !== "round_robin";
        matchRows.hidden = kind.value !== "match";
        routes.box.hidden = kind.value !== "rules";
        fallbackRow.hidden = !["match", "directory", "rules"].includes(kind.value);
        if (kind.value === "rules") routes.ensureOne();
      };
      [kind, team, field, fallback].forEach((c) => c.addEventListener("change", () => { sync(); write(); }));
      sync();
      box.append(el("div", { class: "criteria-row" }, kind), teamRow, routes.box, matchRows, fallbackRow);
      const withFallback = (out) => (fallback.value ? { ...out, fallback_team: Number(fallback.value) } : out);
      return () => {
        if (kind.value === "round_robin") return { kind: "round_robin", team: Number(team.value) || null };
        if (kind.value === "rules") return withFallback({ kind: "rules", routes: routes.read() });
        if (kind.value === "match") {
          return withFallback({ kind: "match", field: field.value, map: Object.fromEntries([...pairs.children].map((r) => r.read()).filter(([v]) => v)) });
        }
        if (kind.value === "directory") return withFallback({ kind: "directory" });
        return { kind: "keep" };
      };
    });
  }

  function escalationsEditor(textarea) {
    mount(textarea, "[]", (box, doc, write) => {
      const list = el("ol", { class: "criteria-rows" });
      const add = (spec) => {
        const n = list.children.length + 1;
        const row = el("li", { class: "criteria-row" });
        const when = conditionControls(lang, spec.when || { field: "expected_value", op: "gte", value: 100000 }, `Escalation ${n} when`, write);
        const role = select(`e${n}-role`, `Escalation ${n}: role`, lang.roles, spec.role || "revenue_leader");
        const action = select(`e${n}-action`, `Escalation ${n}: action`, [["involve", "is involved"], ["approve", "must approve"]], spec.action || "involve");
        [role, action].forEach((c) => c.addEventListener("change", write));
        row.read = () => ({ when: when.read(), role: role.value, action: action.value });
        row.append("When ", ...when.controls, ", a ", role, " ", action, removeButton(`Remove escalation ${n}`, row, write));
        list.append(row);
      };
      (Array.isArray(doc) ? doc : []).forEach(add);
      const more = el("button", { type: "button", class: "secondary small" }, "Add an escalation");
      more.addEventListener("click", () => { add({}); write(); });
      box.append(list, el("div", { class: "actions" }, more));
      return () => [...list.children].map((row) => row.read());
    });
  }

  preconditionsEditor(part("preconditions"));
  routingEditor(part("routing"));
  escalationsEditor(part("escalations"));
})();
