// A module's page, /m/<module id><page path>: mounted from the module's UI bundle while the
// module runs; replaced by a notice (without a reload) when the module stops.

import { h } from "../dom.js";
import { onRunningChange, refreshModules, runningModule } from "../module_registry.js";
import { mountModuleUi } from "../module_ui.js";
import { currentCompany } from "../store.js";

export default async function modulePage(ctx) {
  const id = ctx.params.module;
  const path = ctx.params.rest || "/";
  const slot = h("div", { class: "module-page-slot", dataset: { module: id } });
  ctx.root.append(slot);
  let mounted = null;
  let key; // undefined until the first sync, so "not running" (null) is rendered too

  const sync = () => {
    const module = runningModule(id);
    const page = module && ((module.ui && module.ui.pages) || []).find((p) => p.path === path);
    const next = page ? JSON.stringify([module.version, module.config, page]) : null;
    if (next === key) return;
    if (mounted) {
      mounted.unmount();
      mounted = null;
    }
    key = next;
    if (!page) {
      slot.replaceChildren(
        h(
          "div",
          { class: "notice", id: "module-page-gone" },
          module ? `Module ${module.name || id} has no page at ${path}.` : `Module “${id}” is not running, so its page is not available. `,
          h("a", { href: "/settings/modules" }, "Module settings →"),
        ),
      );
      return;
    }
    const company = currentCompany();
    mounted = mountModuleUi(slot, { module, kind: "page", item: page, companyId: company && company.id });
  };

  // On a direct load the module list may not be there yet.
  if (!runningModule(id)) await refreshModules().catch(() => {});
  if (!ctx.isCurrent()) return;
  sync();
  const stop = onRunningChange(sync);
  ctx.onCleanup(() => {
    stop();
    if (mounted) mounted.unmount();
  });
}
