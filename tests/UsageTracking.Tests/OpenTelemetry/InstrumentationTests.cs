using OpenTelemetry;
using OpenTelemetry.Metrics;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.OpenTelemetry;

/// <summary>The tracker's metrics through the OpenTelemetry SDK, read by an exporter that keeps what it is given.</summary>
public sealed class InstrumentationTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task AddUsageTrackingInstrumentation_ExportsDeliveryAndUsageMetrics()
    {
        var app = "otel-" + Guid.NewGuid().ToString("N")[..8];
        var exporter = new CollectingExporter(app);
        using var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddUsageTrackingInstrumentation()
            .AddReader(new BaseExportingMetricReader(exporter))
            .Build();

        var store = new FaultyStore(Tracking.Store(_folder));
        store.FailNext(1);
        await using (var tracker = Tracking.Create(_folder, o => o.AppName = app, store))
        {
            for (var i = 0; i < 10; i++)
            {
                tracker.TrackUserAction("ann@example.com", Actions.ExecuteSql);
            }

            tracker.Track(new UsageEvent { User = "ann@example.com", Action = Actions.TokenUsage, Model = "gpt-4o-mini", InputTokens = 1_000, OutputTokens = 200, CostUsd = 0.00027m });
            tracker.Track(new UsageEvent { User = "bob@example.com", Action = Actions.TokenUsage, Model = "gpt-4o-mini", InputTokens = 500, OutputTokens = 100, CostUsd = 0.000135m });
            await tracker.FlushAsync();
            meterProvider.ForceFlush();
        }

        Assert.Equal(12, exporter.Value("usage_tracking.events.written"));
        Assert.Equal(0, exporter.Value("usage_tracking.queue.depth"));
        Assert.True(exporter.Value("usage_tracking.write.retries") >= 1);
        Assert.Equal(10, exporter.Value(UsageTrackingMetrics.UsageEvents, ("action", Actions.ExecuteSql)));
        Assert.Equal(2, exporter.Value(UsageTrackingMetrics.UsageEvents, ("action", Actions.TokenUsage)));
        Assert.Equal(1_500, exporter.Value(UsageTrackingMetrics.UsageTokens, ("model", "gpt-4o-mini"), ("type", "input")));
        Assert.Equal(300, exporter.Value(UsageTrackingMetrics.UsageTokens, ("model", "gpt-4o-mini"), ("type", "output")));
        Assert.Equal(0.000405, exporter.Value(UsageTrackingMetrics.UsageCost, ("model", "gpt-4o-mini")), 9);
        Assert.True(exporter.HasHistogram("usage_tracking.write.duration"));
    }

    /// <summary>An OpenTelemetry exporter that keeps the last value of every point tagged with one app.</summary>
    private sealed class CollectingExporter(string app) : BaseExporter<Metric>
    {
        private readonly Dictionary<string, double> _values = [];
        private readonly HashSet<string> _histograms = [];

        public override ExportResult Export(in Batch<Metric> batch)
        {
            lock (_values)
            {
                foreach (var metric in batch)
                {
                    foreach (ref readonly var point in metric.GetMetricPoints())
                    {
                        var tags = new List<(string, string)>();
                        var mine = false;
                        foreach (var tag in point.Tags)
                        {
                            mine |= tag.Key == "app_name" && Equals(tag.Value, app);
                            if (tag.Key != "app_name")
                            {
                                tags.Add((tag.Key, tag.Value?.ToString() ?? ""));
                            }
                        }

                        if (!mine)
                        {
                            continue;
                        }

                        var key = Key(metric.Name, tags);
                        switch (metric.MetricType)
                        {
                            case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                                _values[key] = point.GetSumLong();
                                break;
                            case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                                _values[key] = point.GetSumDouble();
                                break;
                            case MetricType.LongGauge:
                                _values[key] = point.GetGaugeLastValueLong();
                                break;
                            case MetricType.Histogram:
                                _histograms.Add(metric.Name);
                                break;
                        }
                    }
                }
            }

            return ExportResult.Success;
        }

        public double Value(string name, params (string Key, string Value)[] tags)
        {
            lock (_values)
            {
                var key = Key(name, tags);
                return _values.TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no point {key}; have: {string.Join(", ", _values.Keys)}");
            }
        }

        public bool HasHistogram(string name)
        {
            lock (_values)
            {
                return _histograms.Contains(name);
            }
        }

        private static string Key(string name, IEnumerable<(string Key, string Value)> tags) =>
            name + string.Concat(tags.OrderBy(t => t.Key).Select(t => $"|{t.Key}={t.Value}"));
    }
}
