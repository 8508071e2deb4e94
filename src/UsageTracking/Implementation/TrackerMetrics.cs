using System.Diagnostics.Metrics;

namespace UsageTracking.Implementation;

/// <summary>
/// The tracker's instruments on meter <c>UsageTracking</c>. Counters are observable, read from
/// <see cref="DeliveryCounters"/> when a listener collects, so tracking an event costs no metric update.
/// </summary>
internal sealed class TrackerMetrics : IDisposable
{
    public const string MeterName = UsageTrackingMetrics.MeterName;

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _writeDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _usageEvents;
    private readonly Counter<long> _usageTokens;
    private readonly Counter<double> _usageCost;
    private readonly KeyValuePair<string, object?> _app;

    public TrackerMetrics(IMeterFactory? meterFactory, string appName, DeliveryCounters counters, Func<long> queueDepth, Func<long> spoolBytes, Func<int> spoolFiles)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _ownsMeter = meterFactory is null;
        _app = new("app_name", appName);
        var app = _app;

        _meter.CreateObservableCounter("usage_tracking.events.written", () => new Measurement<long>(counters.Written, app), "{event}", "Events written to the store, including replays.");
        _meter.CreateObservableCounter("usage_tracking.events.spooled", () => new Measurement<long>(counters.Spooled, app), "{event}", "Events put in the on-disk spool.");
        _meter.CreateObservableCounter("usage_tracking.events.replayed", () => new Measurement<long>(counters.Replayed, app), "{event}", "Spooled events written later.");
        _meter.CreateObservableCounter("usage_tracking.events.quarantined", () => new Measurement<long>(counters.Quarantined, app), "{event}", "Events refused by the store and set aside.");
        _meter.CreateObservableCounter("usage_tracking.write.retries", () => new Measurement<long>(counters.Retries, app), "{retry}", "Store writes repeated after a transient failure.");
        _meter.CreateObservableCounter("usage_tracking.writer.restarts", () => new Measurement<long>(counters.WriterRestarts, app), "{restart}", "Times the writer loop recovered from an unexpected exception.");
        _meter.CreateObservableCounter("usage_tracking.events.dropped", () => Enum.GetValues<DropReason>()
            .Select(r => new Measurement<long>(counters.Dropped(r), app, new("reason", DeliveryCounters.Name(r)))), "{event}", "Events lost, by reason.");
        _meter.CreateObservableCounter("usage_tracking.events.truncated", () => Enum.GetValues<TruncatedField>()
            .Select(f => new Measurement<long>(counters.Truncated(f), app, new("field", DeliveryCounters.Name(f)))), "{value}", "Values shortened to the field limits.");
        _meter.CreateObservableGauge("usage_tracking.queue.depth", () => new Measurement<long>(queueDepth(), app), "{event}", "Events waiting in memory.");
        _meter.CreateObservableGauge("usage_tracking.spool.bytes", () => new Measurement<long>(spoolBytes(), app), "By", "Bytes waiting in the spool.");
        _meter.CreateObservableGauge("usage_tracking.spool.files", () => new Measurement<int>(spoolFiles(), app), "{file}", "Files waiting in the spool.");
        _writeDuration = _meter.CreateHistogram<double>("usage_tracking.write.duration", "ms", "Time of one successful store write.");
        _batchSize = _meter.CreateHistogram<int>("usage_tracking.batch.size", "{event}", "Events per store write.");
        _usageEvents = _meter.CreateCounter<long>(UsageTrackingMetrics.UsageEvents, "{event}", "Events written to the store, by action.");
        _usageTokens = _meter.CreateCounter<long>(UsageTrackingMetrics.UsageTokens, "{token}", "LLM tokens written to the store, by model and type.");
        _usageCost = _meter.CreateCounter<double>(UsageTrackingMetrics.UsageCost, "USD", "Estimated LLM cost written to the store, by model.");
    }

    /// <summary>Counts what landed in the store; on the writer thread, and nearly free when nobody listens.</summary>
    public void RecordUsage(IReadOnlyList<UsageEvent> written)
    {
        if (!_usageEvents.Enabled && !_usageTokens.Enabled && !_usageCost.Enabled)
        {
            return;
        }

        foreach (var e in written)
        {
            _usageEvents.Add(1, _app, new("action", e.Action));
            if (e.Model is not { } model)
            {
                continue;
            }

            if (e.InputTokens is { } input)
            {
                _usageTokens.Add(input, _app, new("model", model), new("type", "input"));
            }

            if (e.OutputTokens is { } output)
            {
                _usageTokens.Add(output, _app, new("model", model), new("type", "output"));
            }

            if (e.CostUsd is { } cost)
            {
                _usageCost.Add((double)cost, _app, new("model", model));
            }
        }
    }

    public void RecordWrite(double milliseconds, int batchSize)
    {
        _writeDuration.Record(milliseconds, _app);
        _batchSize.Record(batchSize, _app);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
