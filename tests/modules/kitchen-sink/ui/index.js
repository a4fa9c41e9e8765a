// Kitchen Sink test module UI: a page and a dashboard widget listing the recorded hook events.
async function eventCount(api) {
  const response = await api.get("/api/modules/kitchen-sink/events/count");
  return response.count;
}

export async function mountPage(element, { moduleId, api }) {
  element.textContent = `${moduleId}: ${await eventCount(api)} events recorded`;
}

export async function mountWidget(element, { api }) {
  element.textContent = `${await eventCount(api)} events`;
}
