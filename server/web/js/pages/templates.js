// Templates: import a company template file (every validation problem listed with its JSON
// path; nothing is written unless the whole template is valid) and export the selected company
// as a template file.

import { request } from "../api.js";
import { pageHead } from "../components.js";
import { errorBox, field, h, replace } from "../dom.js";
import { count, slug } from "../format.js";
import { loadCompanies, currentCompany } from "../store.js";

/** The last successful import, shown once by the next render of the page. */
let lastImport = null;

export default async function templatesPage(ctx) {
  ctx.root.append(pageHead("Templates"), h("div", { class: "grid" }, importCard(), exportCard()));
}

function importCard() {
  const file = h("input", { type: "file", id: "template-file", accept: ".json,application/json" });
  const name = h("input", { type: "text", id: "template-company-name", placeholder: "The template's name" });
  const result = h("div", { id: "template-import-result", "aria-live": "polite" }, importSummary());
  const button = h("button", { class: "btn primary", type: "submit", id: "template-import" }, "Import");
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("div", { class: "file-drop" }, field("Template file (JSON)", file, "A company template: agents, goals, projects, issues.")),
    field("Company name", name, "Optional: overrides the name in the template."),
    h("div", { class: "row" }, button),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const chosen = file.files && file.files[0];
    if (!chosen) {
      result.replaceChildren(errorBox("Choose a template file first."));
      return;
    }
    button.disabled = true;
    try {
      const text = await chosen.text();
      const query = name.value.trim() ? `?name=${encodeURIComponent(name.value.trim())}` : "";
      // The file goes to the server as-is: it reports malformed JSON with a path too.
      const imported = await request(`/api/templates/import${query}`, { method: "POST", body: text, headers: { "Content-Type": "application/json" } });
      // The import is all or nothing, so the file's own lists say what was created.
      const parsed = JSON.parse(text);
      lastImport = {
        companyId: imported.companyId,
        sizes: ["agents", "goals", "projects", "issues"].map((kind) => `${count((parsed[kind] || []).length)} ${kind}`),
      };
      // Selecting the new company re-renders this page, which then shows the import summary.
      await loadCompanies(imported.companyId);
      if (result.isConnected) replace(result, importSummary());
      form.reset();
    } catch (error) {
      const problems = (error.problems || []).map((p) => `${p.path}: ${p.message}`);
      result.replaceChildren(
        errorBox(
          problems.length ? `The template was not imported: ${problems.length} problem${problems.length === 1 ? "" : "s"} found. Nothing was written.` : `The template was not imported: ${error.message}`,
          problems,
        ),
      );
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { class: "card", id: "template-import-card" }, h("h2", null, "Import a template"), form);
}

/** The summary of the last import (once), or null. */
function importSummary() {
  if (!lastImport) return null;
  const { companyId, sizes } = lastImport;
  lastImport = null;
  const company = currentCompany();
  const name = company && company.id === companyId ? company.name : companyId;
  return h(
    "div",
    { class: "ok-box", id: "template-imported" },
    h("div", null, `Imported “${name}”: ${sizes.join(", ")}. It is now the selected company. `),
    h("a", { href: "/" }, "Open its dashboard →"),
  );
}

function exportCard() {
  const company = currentCompany();
  const result = h("div", { id: "template-export-result" });
  const button = h("button", { class: "btn primary", type: "button", id: "template-export", disabled: !company }, company ? `Export “${company.name}”` : "Export");
  button.addEventListener("click", async () => {
    result.replaceChildren();
    try {
      const template = await request(`/api/templates/export?companyId=${encodeURIComponent(company.id)}`);
      const text = `${JSON.stringify(template, null, 2)}\n`;
      const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
      const fileName = `${slug(company.name)}.template.json`;
      const link = h("a", { href: url, download: fileName, id: "template-download" }, `Download ${fileName}`);
      const sizes = ["agents", "goals", "projects", "issues"].map((kind) => `${count((template[kind] || []).length)} ${kind}`);
      result.replaceChildren(h("div", { class: "ok-box" }, h("div", null, `Exported: ${sizes.join(", ")}.`), link));
      link.click();
    } catch (error) {
      result.replaceChildren(errorBox(`Export failed: ${error.message}`));
    }
  });
  return h(
    "section",
    { class: "card", id: "template-export-card" },
    h("h2", null, "Export the selected company"),
    h("p", { class: "muted" }, company ? "Saves the company's agents, goals, projects and issues as a template file that can be imported again." : "Select or create a company first."),
    button,
    result,
  );
}
