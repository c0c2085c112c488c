// A definition's criteria ({"conditions": [...]}) as rows of field / operator / value and "k of these BANT
// facts", built from the language the server publishes (data-language); written back into the JSON textarea
// it replaces, which the server validates as always. Without JavaScript the textarea stays.
(() => {
  const { conditionList, mount } = window.crmEditors;

  document.querySelectorAll("textarea[data-language]").forEach((textarea) => {
    const lang = JSON.parse(textarea.dataset.language);
    mount(textarea, '{"conditions": []}', (box, doc, write) => {
      const conditions = conditionList(lang, Array.isArray(doc.conditions) ? doc.conditions : [], {
        name: (n) => `Condition ${n}`,
        idBase: textarea.id,
        onChange: write,
      });
      box.append(conditions.list, conditions.buttons);
      textarea.closest("div")?.querySelector("label")?.setAttribute("hidden", "");
      return () => ({ conditions: conditions.read() });
    });
  });
})();
