// Draws a chart spec (UsageTracking.QueryApp.Presentation.ChartSpec) with Chart.js; returns null, or why it could not.
export function draw(canvas, spec) {
  try {
    Chart.getChart(canvas)?.destroy();
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: [{ label: spec.valueColumn, data: spec.values, borderColor: "#2563eb", backgroundColor: spec.type === "bar" ? "#60a5fa" : "rgba(37,99,235,.15)", fill: spec.type === "line", tension: 0.2 }],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: spec.labelColumn } }, y: { beginAtZero: true, title: { display: true, text: spec.valueColumn } } },
      },
    });
    return null;
  } catch (error) {
    return String((error && error.message) || error);
  }
}

export function clear(canvas) {
  try {
    Chart.getChart(canvas)?.destroy();
    return null;
  } catch (error) {
    return String((error && error.message) || error);
  }
}
