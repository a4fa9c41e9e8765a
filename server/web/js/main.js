// Entry point of the web shell: builds the layout, registers the pages, loads companies and
// modules, and starts polling the module list.

import { buildShell, startData } from "./shell.js";
import { catchModuleErrors } from "./module_ui.js";
import { startPolling } from "./module_registry.js";
import { interceptLinks, route, setOutlet, reload } from "./router.js";
import { onStoreChange } from "./store.js";
import dashboard from "./pages/dashboard.js";
import agents from "./pages/agents.js";
import agentDetail from "./pages/agent_detail.js";
import goals from "./pages/goals.js";
import projects from "./pages/projects.js";
import issues from "./pages/issues.js";
import issueDetail from "./pages/issue_detail.js";
import activity from "./pages/activity.js";
import modulePage from "./pages/module_page.js";
import moduleSettings from "./pages/module_settings.js";
import templates from "./pages/templates.js";
import storePage from "./pages/store.js";

route("/", dashboard);
route("/agents", agents);
route("/agents/:id", agentDetail);
route("/goals", goals);
route("/projects", projects);
route("/issues", issues);
route("/issues/:id", issueDetail);
route("/activity", activity);
route("/m/:module/*", modulePage);
route("/settings/modules", moduleSettings);
route("/templates", templates);
route("/store", storePage);

catchModuleErrors();
const app = document.getElementById("app");
setOutlet(buildShell(app));
interceptLinks(document.body);

// A company switch re-renders the page for the new company.
let shownCompany;
onStoreChange((store) => {
  if (store.companyId !== shownCompany) {
    const first = shownCompany === undefined;
    shownCompany = store.companyId;
    if (!first) reload();
  }
});

startPolling();
startData();
