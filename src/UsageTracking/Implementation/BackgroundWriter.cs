using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace UsageTracking.Implementation;

/// <summary>
/// The bounded queue and the one supervised loop that drains it: batches by count and time, writes through a
/// Polly pipeline (total time budget, retry with jittered exponential backoff, circuit breaker, per-attempt timeout),
/// spools what the store cannot take, replays the spool oldest first, splits rejected batches to quarantine the
/// event at fault, and shuts down within a deadline.
/// </summary>
internal sealed class BackgroundWriter : IAsyncDisposable
{
    private static readonly TimeSpan ReplayRetryInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentQueue<UsageEvent> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly UsageTrackingOptions _options;
    private readonly IUsageStore _store;
    private readonly Spool _spool;
    private readonly DeliveryCounters _counters;
    private readonly EventNormalizer _normalizer;
    private readonly TrackerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _gate = new();
    private readonly LogLevel _failureLevel;
    private readonly long _capacity;
    private readonly int _batchSize;
    // Producers only increment _enqueued and the writer only advances _dequeued, each on its own cache line,
    // so the hot path's one interlocked operation does not bounce a line back and forth with the writer.
    private PaddedCounter _enqueued;
    private PaddedCounter _dequeued;
    private int _waiting;
    private int _pendingFlushes;
    private volatile bool _stopping;
    private bool _abandoned;
    private List<UsageEvent>? _inFlight;
    private readonly List<UsageEvent> _batch;
    private readonly UserInfoCache? _userInfo;
    private StoreSchemaMode? _schema;
    private DateTimeOffset _nextReplay;
    private long _lastSuccessTicks;
    private volatile string? _lastError;
    private Task _loop = Task.CompletedTask;
    private Task _cleanup = Task.CompletedTask;

    public BackgroundWriter(UsageTrackingOptions options, IUsageStore store, Spool spool, DeliveryCounters counters,
        EventNormalizer normalizer, TrackerMetrics metrics, ILogger logger, TimeProvider time, UserInfoCache? userInfo = null)
    {
        _userInfo = userInfo;
        _options = options;
        _store = store;
        _spool = spool;
        _counters = counters;
        _normalizer = normalizer;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _capacity = options.QueueCapacity;
        _batchSize = options.BatchSize;
        _failureLevel = options.DebugLogging ? LogLevel.Warning : LogLevel.Debug;
        _pipeline = BuildPipeline();
        _batch = new List<UsageEvent>(_batchSize);
    }

    public long QueueDepth => Math.Max(0, Volatile.Read(ref _enqueued.Value) - Volatile.Read(ref _dequeued.Value));

    public StoreSchemaMode? SchemaMode => _schema;

    public bool CircuitOpen => _circuit.CircuitState is CircuitState.Open or CircuitState.Isolated;

    public DateTimeOffset? LastSuccessfulWrite => Volatile.Read(ref _lastSuccessTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    public string? LastError => _lastError;

    public void Start()
    {
        _loop = Task.Run(SuperviseAsync);
        if (_options.RetentionDays > 0)
        {
            _cleanup = Task.Run(CleanupLoopAsync);
        }
    }

    /// <summary>The hot path: an interlocked increment, a lock-free enqueue, and a wake-up only when a full batch waits.</summary>
    public void Enqueue(UsageEvent e)
    {
        var depth = Interlocked.Increment(ref _enqueued.Value) - Volatile.Read(ref _dequeued.Value);
        if (depth > _capacity || _stopping)
        {
            Interlocked.Decrement(ref _enqueued.Value);
            Overflow(e);
            return;
        }

        _queue.Enqueue(e);
        if (depth >= _batchSize && Volatile.Read(ref _waiting) != 0)
        {
            Wake();
        }
    }

    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_stopping && _loop.IsCompleted)
        {
            // Shut down: nothing will process a marker; what was queued is already written or spooled.
            return _queue.IsEmpty;
        }

        var request = new FlushRequest();
        // Counted before the wake-up: a writer about to sleep sees the count even if it missed the signal.
        Interlocked.Increment(ref _pendingFlushes);
        _queue.Enqueue(new UsageEvent { Flush = request });
        Wake();
        try
        {
            await request.Completion.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        Wake();
        var deadline = _options.ShutdownTimeout;
        var finished = await Task.WhenAny(_loop, Task.Delay(deadline, _time)).ConfigureAwait(false) == _loop;
        if (!finished)
        {
            // The store is not answering: take over what the writer holds and what is still queued, spool it, and leave.
            _abort.Cancel();
            List<UsageEvent> rest;
            lock (_gate)
            {
                _abandoned = true;
                rest = _inFlight is null ? [] : [.. _inFlight];
            }

            while (_queue.TryDequeue(out var e))
            {
                if (e.Flush is { } f)
                {
                    Interlocked.Decrement(ref _pendingFlushes);
                    f.Complete();
                }
                else
                {
                    Interlocked.Increment(ref _dequeued.Value);
                    rest.Add(_normalizer.Normalize(e));
                }
            }

            if (rest.Count > 0)
            {
                SpoolBatch(rest, "shutdown deadline reached");
            }

            Log.ShutdownTimedOut(_logger, deadline, rest.Count);
        }

        _abort.Cancel();
        await Task.WhenAny(_cleanup, Task.Delay(TimeSpan.FromMilliseconds(200), _time)).ConfigureAwait(false);
        _spool.SealOverflow();
        _spool.Dispose();
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _waiting, 0) != 0)
        {
            _signal.Release();
        }
    }

    /// <summary>The queue is full (or closing): the event goes to the spool on the caller's thread, or is dropped and counted.</summary>
    private void Overflow(UsageEvent e)
    {
        var reason = DropReason.QueueFull;
        if (_options.SpoolWhenQueueFull && _spool.AppendOverflow(_normalizer.Normalize(e), out reason))
        {
            _counters.AddSpooled(1);
        }
        else
        {
            _counters.AddDropped(reason);
            Log.Dropped(_logger, 1, DeliveryCounters.Name(reason));
        }

        if (e.Journal is { } journal)
        {
            e.Journal = null;
            journal.Ack();
        }
    }

    private async Task SuperviseAsync()
    {
        while (true)
        {
            try
            {
                await RunAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!IsAbandoned)
            {
                // Nothing may end this loop but shutdown: keep what it held, count, log, pause briefly, and go on.
                if (_batch.Count > 0)
                {
                    SpoolBatch([.. _batch.Select(_normalizer.Normalize)], "the writer restarted");
                    _batch.Clear();
                }

                _counters.AddWriterRestart();
                _lastError = ex.Message;
                Log.WriterCrashed(_logger, ex, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, _abort.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    private bool IsAbandoned
    {
        get
        {
            lock (_gate)
            {
                return _abandoned;
            }
        }
    }

    private async Task RunAsync()
    {
        var batch = _batch;
        while (!IsAbandoned)
        {
            await DrainQueueAsync(batch).ConfigureAwait(false);
            if (_stopping && _queue.IsEmpty)
            {
                // Overflow spooled during this run goes to the store too while the shutdown deadline allows.
                _spool.SealOverflow();
                await ReplayDueAsync(draining: true).ConfigureAwait(false);
                return;
            }

            if (!_stopping)
            {
                await ReplayDueAsync(draining: false).ConfigureAwait(false);
                _spool.SealOverflow();
                await WaitAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task DrainQueueAsync(List<UsageEvent> batch)
    {
        while (true)
        {
            batch.Clear();
            FlushRequest? flush = null;
            var taken = 0;
            try
            {
                while (batch.Count < _batchSize && _queue.TryDequeue(out var e))
                {
                    if (e.Flush is { } f)
                    {
                        flush = f;
                        break;
                    }

                    taken++;
                    batch.Add(e);
                }
            }
            finally
            {
                Interlocked.Add(ref _dequeued.Value, taken);
            }

            if (_userInfo is not null && batch.Count > 0)
            {
                // Before normalising: the enricher needs the user as the app passed it, not its hash.
                await _userInfo.FillAsync(batch.Select(e => e.User ?? _options.DefaultUser), _abort.Token).ConfigureAwait(false);
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i] = _normalizer.Normalize(batch[i]);
            }

            if (batch.Count > 0)
            {
                await DeliverAsync(batch, spoolOnFailure: true).ConfigureAwait(false);
            }

            if (flush is not null)
            {
                Interlocked.Decrement(ref _pendingFlushes);
                flush.Complete();
            }

            var full = batch.Count >= _batchSize;
            batch.Clear();
            if (!full && flush is null && !_stopping || taken == 0 && flush is null)
            {
                return;
            }
        }
    }

    private async Task WaitAsync()
    {
        Interlocked.Exchange(ref _waiting, 1);
        if (QueueDepth >= _batchSize || _stopping || Volatile.Read(ref _pendingFlushes) > 0)
        {
            Interlocked.Exchange(ref _waiting, 0);
            return;
        }

        await _signal.WaitAsync(_options.FlushInterval).ConfigureAwait(false);
        Interlocked.Exchange(ref _waiting, 0);
    }

    /// <summary>Writes a batch; on a transient failure spools it (live traffic) or reports failure (replay). Returns true when the store has every event.</summary>
    private async Task<bool> DeliverAsync(List<UsageEvent> batch, bool spoolOnFailure)
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

    private async Task<WriteOutcome> TryWriteAsync(IReadOnlyList<UsageEvent> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _pipeline.ExecuteAsync(async (state, ct) =>
            {
                if (state._schema is null)
                {
                    await state.EnsureSchemaAsync(ct).ConfigureAwait(false);
                }

                await state._store.WriteBatchAsync(batch, ct).ConfigureAwait(false);
            }, this, _abort.Token).ConfigureAwait(false);

            _metrics.RecordWrite(Stopwatch.GetElapsedTime(started).TotalMilliseconds, batch.Count);
            _metrics.RecordUsage(batch);
            _counters.AddWritten(batch.Count);
            Volatile.Write(ref _lastSuccessTicks, _time.GetUtcNow().UtcTicks);
            _lastError = null;
            return new(WriteOutcomeKind.Written, null);
        }
        catch (Exception ex) when (!IsInfrastructure(ex) && Classify(ex) == StoreErrorKind.Rejected)
        {
            return new(WriteOutcomeKind.Rejected, ex.Message);
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
                _counters.AddDropped(DropReason.SpoolError);
                Log.Dropped(_logger, 1, DeliveryCounters.Name(DropReason.SpoolError));
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

    private void SpoolBatch(List<UsageEvent> batch, string reason)
    {
        if (_spool.TryWriteBatch(batch, out var failure))
        {
            _counters.AddSpooled(batch.Count);
            Log.Spooled(_logger, _failureLevel, batch.Count, reason);
        }
        else
        {
            _counters.AddDropped(failure, batch.Count);
            Log.Dropped(_logger, batch.Count, DeliveryCounters.Name(failure));
        }

        _nextReplay = _time.GetUtcNow() + ReplayRetryInterval;
        Acknowledge(batch);
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

    /// <summary>
    /// Replays spool files oldest first while the store takes them and live traffic does not wait; at shutdown
    /// (<paramref name="draining"/>) it goes on regardless of traffic and backoff, bounded by the shutdown deadline.
    /// A file written in part keeps only its unwritten rest.
    /// </summary>
    private async Task ReplayDueAsync(bool draining)
    {
        // No check of the circuit here: Polly moves it to half-open only when an execution is attempted,
        // so the replay itself is the trial write (rejected at once while the circuit is still open).
        if (_spool.Files == 0 || !draining && _time.GetUtcNow() < _nextReplay)
        {
            return;
        }

        foreach (var path in _spool.PendingFiles())
        {
            if (!draining && QueueDepth >= _batchSize || IsAbandoned)
            {
                return;
            }

            using var lease = _spool.TryLease(path);
            if (lease is null)
            {
                continue;
            }

            if (lease.CorruptLines > 0)
            {
                Log.CorruptSpoolLines(_logger, lease.CorruptLines, path);
            }

            var written = 0;
            var chunk = new List<UsageEvent>(_batchSize);
            foreach (var group in lease.Events.Chunk(_batchSize))
            {
                chunk.Clear();
                chunk.AddRange(group.Select(_normalizer.Normalize));
                if (!await DeliverAsync(chunk, spoolOnFailure: false).ConfigureAwait(false))
                {
                    lease.KeepRemainder(written);
                    _counters.AddReplayed(written);
                    _nextReplay = _time.GetUtcNow() + ReplayRetryInterval;
                    return;
                }

                written += chunk.Count;
            }

            lease.Complete();
            _counters.AddReplayed(written);
            Log.Replayed(_logger, written, path);
        }
    }

    private async Task CleanupLoopAsync()
    {
        try
        {
            // The first run waits a little, so a short-lived process never competes with its own start-up.
            var delay = TimeSpan.FromSeconds(Math.Min(30, _options.CleanupInterval.TotalSeconds));
            while (true)
            {
                await Task.Delay(delay, _time, _abort.Token).ConfigureAwait(false);
                delay = _options.CleanupInterval;
                var cutoff = _time.GetUtcNow().AddDays(-_options.RetentionDays);
                try
                {
                    var deleted = await _store.DeleteOlderThanAsync(cutoff, _abort.Token).ConfigureAwait(false);
                    Log.CleanedUp(_logger, deleted, cutoff);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.CleanupFailed(_logger, _failureLevel, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
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
            ShouldHandle = new PredicateBuilder().Handle<Exception>(Transient),
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
                _nextReplay = _time.GetUtcNow();
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

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct PaddedCounter
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Value;
    }

    /// <summary>The table could not be prepared: the store is not ready, which is never the data's fault.</summary>
    private sealed class SchemaUnavailableException(string message, Exception inner) : Exception(message, inner);
}
