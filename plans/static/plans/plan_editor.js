// The plan editor (plans/admin/editor.py): adds rows by cloning the page's <template>s, shows
// each value's unit for the metric chosen, offers the plan's KPI keys as parents and indents
// the KPI tree as parents change. Everything is saved by the form post; this only helps type.
(() => {
  "use strict";

  const editor = document.getElementById("plan-editor");
  if (!editor) return;
  const kpiList = document.getElementById("kpis-list");

  const kpiRows = () => [...kpiList.querySelectorAll(":scope > [data-row]")];
  const keyOf = (row) => row.querySelector(".pe-key").value.trim();
  const removed = (row) => row.querySelector('input[name$="-DELETE"]')?.checked;

  function addRow(prefix) {
    const list = editor.querySelector(`[data-formset="${CSS.escape(prefix)}"]`);
    const template = document.getElementById(list.dataset.template);
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll(
      `${template.dataset.prefix}-__prefix__`,
      `${prefix}-${index}`,
    );
    list.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const row = list.lastElementChild;
    refreshParents();
    row.querySelector("input:not([type=hidden]):not([type=checkbox]), select")?.focus();
  }

  function showUnit(select) {
    const option = select.selectedOptions[0];
    const row = select.closest("[data-row]");
    for (const before of row.querySelectorAll(":scope .pe-before[data-affix]")) {
      if (before.closest("[data-row]") === row) before.textContent = option?.dataset.before ?? "";
    }
    for (const after of row.querySelectorAll(":scope .pe-after[data-affix]")) {
      if (after.closest("[data-row]") === row) after.textContent = option?.dataset.after ?? "";
    }
  }

  function refreshParents() {
    const rows = kpiRows();
    const keys = rows.filter((row) => !removed(row)).map(keyOf).filter(Boolean);
    for (const row of rows) {
      const select = row.querySelector("select.pe-parent");
      const own = keyOf(row);
      const chosen = select.value;
      while (select.options.length > 1) select.remove(1);
      for (const key of keys) {
        if (key !== own) select.add(new Option(key, key, false, key === chosen));
      }
      if (chosen && !keys.includes(chosen)) select.add(new Option(chosen, chosen, false, true));
      select.value = chosen;
    }
    refreshDepths();
  }

  function refreshDepths() {
    const rows = kpiRows();
    const parentOf = new Map(rows.map((row) => [keyOf(row), row.querySelector("select.pe-parent").value]));
    for (const row of rows) {
      let depth = 0;
      const seen = new Set();
      let key = parentOf.get(keyOf(row));
      while (key && parentOf.has(key) && !seen.has(key) && depth < 6) {
        seen.add(key);
        depth += 1;
        key = parentOf.get(key);
      }
      row.dataset.depth = String(depth);
    }
  }

  editor.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add]");
    if (button) addRow(button.dataset.add);
  });
  editor.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("select.pe-metric")) showUnit(target);
    if (target.matches("select.pe-parent")) refreshDepths();
    if (target.matches('input[name$="-DELETE"]')) {
      target.closest("[data-row]").classList.toggle("is-removed", target.checked);
      refreshParents();
    }
  });
  editor.addEventListener("input", (event) => {
    if (event.target.matches(".pe-key")) refreshParents();
  });
  for (const box of editor.querySelectorAll('input[name$="-DELETE"]:checked')) {
    box.closest("[data-row]").classList.add("is-removed");
  }
  refreshDepths();
})();
