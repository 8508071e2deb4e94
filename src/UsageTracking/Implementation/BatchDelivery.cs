using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace UsageTracking.Implementation;

/// <summary>
/// Gets one batch into the store: the Polly pipeline (total budget, retry with jittered exponential backoff, circuit
/// breaker, per-attempt timeout), the store's verdict on a failure, splitting a rejected batch until the refusing events
/// stand alone in the quarantine, and the spool for whatever the store cannot take now. Used by the writer only.
/// </summary>
internal sealed class BatchDelivery
{
    private readonly UsageTrackingOptions _options;
    private readonly IUsageStore _store;
    private readonly Spool _spool;
    private readonly DeliveryCounters _counters;
    private readonly DropReporter _drops;
    private readonly HeldBatches _held;
    private readonly TrackerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LogLevel _failureLevel;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly Lock _gate = new();
    private bool _abandoned;
    private List<UsageEvent>? _inFlight;
    private StoreSchemaMode? _schema;
    private long _lastSuccessTicks;
    private volatile string? _lastError;
    private string? _configurationMessage;
    private DateTimeOffset _configurationReportedAt;

    public BatchDelivery(UsageTrackingOptions options, IUsageStore store, Spool spool, DeliveryCounters counters, DropReporter drops,
        HeldBatches held, TrackerMetrics metrics, ILogger logger, TimeProvider time)
    {
        _held = held;
        _options = options;
        _store = store;
        _spool = spool;
        _counters = counters;
        _drops = drops;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _failureLevel = options.DebugLogging ? LogLevel.Warning : LogLevel.Debug;
        _pipeline = BuildPipeline();
    }

    /// <summary>Cancels writes in progress: shutdown has given up on the store.</summary>
    public CancellationTokenSource Abort { get; } = new();

    /// <summary>Raised when the circuit closes again: the spool is worth replaying at once.</summary>
    public event Action? StoreRecovered;

    public StoreSchemaMode? SchemaMode => _schema;

    public bool CircuitOpen => _circuit.CircuitState is CircuitState.Open or CircuitState.Isolated;

    public DateTimeOffset? LastSuccessfulWrite => Volatile.Read(ref _lastSuccessTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    public string? LastError => _lastError;

    public bool IsAbandoned
    {
        get
        {
            lock (_gate)
            {
                return _abandoned;
            }
        }
    }

    /// <summary>
    /// Shutdown ran out of time: from now on nothing is delivered, and the live batch being written (if any) is returned so
    /// the caller can spool it.
    /// </summary>
    public List<UsageEvent> Abandon()
    {
        Abort.Cancel();
        lock (_gate)
        {
            _abandoned = true;
            return _inFlight is null ? [] : [.. _inFlight];
        }
    }

    /// <summary>
    /// Writes a batch. On a transient failure a live batch (<paramref name="spoolOnFailure"/>) is spooled; a replayed one stays
    /// in its file. Returns true when the store has every event (or refused some on their own, now quarantined).
    /// </summary>
    public async Task<bool> DeliverAsync(List<UsageEvent> batch, bool spoolOnFailure)
    {
        lock (_gate)
        {
            if (_abandoned)
            {
                return false;
            }

            // Only live batches are handed to a shutdown that gives up on the store; a replayed chunk is still in its spool file.
            _inFlight = spoolOnFailure ? batch : null;
        }

        try
        {
            var outcome = await TryWriteAsync(batch).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case WriteOutcomeKind.Written:
                    Acknowledge(batch);
                    return true;
                case WriteOutcomeKind.Rejected:
                    return await SplitAsync(batch, outcome.Reason!, spoolOnFailure).ConfigureAwait(false);
                default:
                    if (spoolOnFailure)
                    {
                        SpoolBatch(batch, outcome.Reason!);
                    }

                    return false;
            }
        }
        finally
        {
            lock (_gate)
            {
                _inFlight = null;
            }
        }
    }

    /// <summary>
    /// Puts a batch in the spool, after which durable mode may forget it; when the spool refuses (disk full, cap reached)
    /// the batch is held in memory and offered again later.
    /// </summary>
    public void SpoolBatch(List<UsageEvent> batch, string reason)
    {
        if (TrySpool(batch, reason, out var failure))
        {
            return;
        }

        // A copy: the writer reuses its batch list for the next batch.
        _held.Hold([.. batch], failure, $"{reason}; the spool refused it: {(failure == DropReason.SpoolFull ? "it is full (UsageTracking:SpoolMaxBytes)" : _spool.LastError ?? "it cannot be written")}");
    }

    /// <summary>Spools a batch; false, changing nothing, when the spool refuses it.</summary>
    public bool TrySpool(List<UsageEvent> batch, string reason, out DropReason failure)
    {
        if (!_spool.TryWriteBatch(batch, out failure))
        {
            return false;
        }

        _counters.AddSpooled(batch.Count);
        Log.Spooled(_logger, _failureLevel, batch.Count, reason);
        Acknowledge(batch);
        return true;
    }

    private async Task<WriteOutcome> TryWriteAsync(IReadOnlyList<UsageEvent> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var added = await _pipeline.ExecuteAsync(async (state, ct) =>
            {
                if (state._schema is null)
                {
                    await state.EnsureSchemaAsync(ct).ConfigureAwait(false);
                }

                return await state._store.WriteBatchAsync(batch, ct).ConfigureAwait(false);
            }, this, Abort.Token).ConfigureAwait(false);

            _metrics.RecordWrite(Stopwatch.GetElapsedTime(started).TotalMilliseconds, batch.Count);
            _metrics.RecordUsage(batch);
            _counters.AddWritten(batch.Count);
            // Events the table held already (a write whose reply was lost, then replayed): in the store, not added twice.
            _counters.AddAlreadyPresent(Math.Max(0, batch.Count - added));
            Volatile.Write(ref _lastSuccessTicks, _time.GetUtcNow().UtcTicks);
            _lastError = null;
            return new(WriteOutcomeKind.Written, null);
        }
        catch (Exception ex) when (!IsInfrastructure(ex) && Classify(ex) == StoreErrorKind.Rejected)
        {
            return new(WriteOutcomeKind.Rejected, ex.Message);
        }
        catch (Exception ex) when (!IsInfrastructure(ex) && Classify(ex) == StoreErrorKind.Configuration)
        {
            ReportConfiguration(ex.Message);
            _lastError = ex.Message;
            return new(WriteOutcomeKind.Failed, ex.Message);
        }
        catch (Exception ex)
        {
            var reason = ex switch
            {
                BrokenCircuitException => "the store is failing (circuit open)",
                TimeoutRejectedException => "the store did not answer in time",
                OperationCanceledException => "shutting down",
                _ => ex.Message,
            };
            _lastError = reason;
            return new(WriteOutcomeKind.Failed, reason);
        }
    }

    // Once per distinct message, and again every ten minutes while it lasts: loud, but not a line per batch.
    private void ReportConfiguration(string message)
    {
        var now = _time.GetUtcNow();
        if (message == _configurationMessage && now - _configurationReportedAt < TimeSpan.FromMinutes(10))
        {
            return;
        }

        (_configurationMessage, _configurationReportedAt) = (message, now);
        Log.ConfigurationError(_logger, message);
    }

    private static bool IsInfrastructure(Exception ex) =>
        ex is BrokenCircuitException or TimeoutRejectedException or OperationCanceledException or SchemaUnavailableException;

    /// <summary>The store's verdict; a store that fails to classify is taken to mean transient, so the batch is spooled, not lost.</summary>
    private StoreErrorKind Classify(Exception ex)
    {
        try
        {
            return _store.Classify(ex);
        }
        catch (Exception)
        {
            return StoreErrorKind.Transient;
        }
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        try
        {
            _schema = await _store.EnsureSchemaAsync(_options.AllowSchemaUpgrade, cancellationToken).ConfigureAwait(false);
            Log.SchemaReady(_logger, _schema.Value);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.SchemaFailed(_logger, _failureLevel, ex.Message);
            throw new SchemaUnavailableException(ex.Message, ex);
        }
    }

    /// <summary>
    /// The store refused the batch because of its data: write each half on its own until the refusing events stand
    /// alone, then quarantine those with the reason. Healthy neighbours land; nothing is dropped.
    /// </summary>
    private async Task<bool> SplitAsync(List<UsageEvent> batch, string reason, bool spoolOnFailure)
    {
        if (batch.Count == 1)
        {
            var e = batch[0];
            if (_spool.Quarantine(e, reason))
            {
                _counters.AddQuarantined(1);
                Log.Quarantined(_logger, _spool.QuarantineDirectory, reason);
            }
            else
            {
                // The quarantine's disk refuses too: keep the event, and try the store (then the quarantine) again later.
                _held.Hold([.. batch], DropReason.SpoolError, $"the store refused it ({reason}) and the quarantine cannot be written");
                return true;
            }

            Acknowledge(batch);
            return true;
        }

        var middle = batch.Count / 2;
        var allHandled = true;
        foreach (var half in new[] { batch[..middle], batch[middle..] })
        {
            var outcome = await TryWriteAsync(half).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case WriteOutcomeKind.Written:
                    Acknowledge(half);
                    break;
                case WriteOutcomeKind.Rejected:
                    allHandled &= await SplitAsync(half, outcome.Reason!, spoolOnFailure).ConfigureAwait(false);
                    break;
                default:
                    if (spoolOnFailure)
                    {
                        SpoolBatch(half, outcome.Reason!);
                    }

                    allHandled = false;
                    break;
            }
        }

        return allHandled;
    }

    /// <summary>The events are in the store, the spool or the quarantine: durable mode may forget them.</summary>
    private static void Acknowledge(List<UsageEvent> batch)
    {
        foreach (var e in batch)
        {
            if (e.Journal is { } journal)
            {
                e.Journal = null;
                journal.Ack();
            }
        }
    }

    private ResiliencePipeline BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        bool Transient(Exception ex) => ex is SchemaUnavailableException or TimeoutRejectedException
            || ex is not (BrokenCircuitException or OperationCanceledException) && Classify(ex) == StoreErrorKind.Transient;

        if (_options.RetryBudget > TimeSpan.Zero)
        {
            builder.AddTimeout(_options.RetryBudget);
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(Transient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    _counters.AddRetry();
                    Log.Retrying(_logger, _failureLevel, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? "unknown");
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            // A configuration error counts towards opening the circuit too, though it is never retried.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => Transient(ex)
                || ex is not (BrokenCircuitException or OperationCanceledException) && Classify(ex) == StoreErrorKind.Configuration),
            FailureRatio = 0.5,
            MinimumThroughput = 2,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = _options.BreakDuration,
            StateProvider = _circuit,
            OnOpened = _ =>
            {
                Log.CircuitOpened(_logger, LogLevel.Warning, _options.BreakDuration);
                return default;
            },
            OnClosed = _ =>
            {
                Log.CircuitClosed(_logger);
                StoreRecovered?.Invoke();
                return default;
            },
        });
        builder.AddTimeout(_options.AttemptTimeout);
        return builder.Build();
    }

    private enum WriteOutcomeKind
    {
        Written,
        Rejected,
        Failed,
    }

    private readonly record struct WriteOutcome(WriteOutcomeKind Kind, string? Reason);

    /// <summary>The table could not be prepared: the store is not ready, which is never the data's fault.</summary>
    private sealed class SchemaUnavailableException(string message, Exception inner) : Exception(message, inner);
}
