// Draws the dashboard's JSON with the report's renderer (UsageDashboard, from dashboard.js) into the element.
export function render(element, json) {
  UsageDashboard.render(element, JSON.parse(json));
}
