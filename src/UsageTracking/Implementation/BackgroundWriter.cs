using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>
/// The one supervised loop between the queue and the store: takes batches by count and time, hands them to
/// <see cref="BatchDelivery"/>, writes the overflow buffer to the spool, replays the spool, answers flushes, and shuts
/// down within a deadline. Nothing but shutdown ends the loop.
/// </summary>
internal sealed class BackgroundWriter : IAsyncDisposable
{
    private readonly EventQueue _queue;
    private readonly OverflowBuffer _overflow;
    private readonly HeldBatches _held;
    private readonly BatchDelivery _delivery;
    private readonly SpoolReplay _replay;
    private readonly RetentionLoop? _retention;
    private readonly Spool _spool;
    private readonly DeliveryCounters _counters;
    private readonly DropReporter _drops;
    private readonly EventNormalizer _normalizer;
    private readonly UserInfoCache? _userInfo;
    private readonly UsageTrackingOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Lock _flushLock = new();
    private readonly List<FlushRequest> _flushes = [];
    private readonly List<UsageEvent> _batch;
    private readonly int _batchSize;
    private int _waiting;
    private volatile bool _stopping;
    private Task _loop = Task.CompletedTask;
    private Task _cleanup = Task.CompletedTask;

    public BackgroundWriter(UsageTrackingOptions options, IUsageStore store, IUsageRetention? retention, Spool spool, DeliveryCounters counters, DropReporter drops,
        EventNormalizer normalizer, TrackerMetrics metrics, ILogger logger, TimeProvider time, UserInfoCache? userInfo = null)
    {
        _options = options;
        _spool = spool;
        _counters = counters;
        _drops = drops;
        _normalizer = normalizer;
        _userInfo = userInfo;
        _logger = logger;
        _time = time;
        _batchSize = options.BatchSize;
        _batch = new List<UsageEvent>(_batchSize);
        _queue = new EventQueue(options.QueueCapacity);
        _held = new HeldBatches(options.QueueCapacity, counters, drops, logger);
        // A chunk never larger than the queue: what sits in memory here is then never more than the queue itself could lose.
        _overflow = new OverflowBuffer(spool, normalizer, counters, _held, Math.Clamp(options.QueueCapacity / 4, 1, 4_096));
        _delivery = new BatchDelivery(options, store, spool, counters, drops, _held, metrics, logger, time);
        _replay = new SpoolReplay(spool, _delivery, normalizer, counters, logger, time, _batchSize);
        _delivery.StoreRecovered += _replay.Resume;
        if (options.RetentionDays > 0 && retention is { CleansUpPeriodically: true })
        {
            _retention = new RetentionLoop(options, retention, logger, time);
        }
        else if (options.RetentionDays > 0 && retention is { RetentionAdvice: var advice })
        {
            Log.RetentionNotPeriodic(logger, options.RetentionDays, advice ?? "run `usage cleanup` on a schedule");
        }
    }

    /// <summary>Events waiting in memory: the queue, the overflow buffer not yet written, and batches the spool could not take.</summary>
    public long QueueDepth => _queue.Depth + _overflow.Count + _held.Count;

    public StoreSchemaMode? SchemaMode => _delivery.SchemaMode;

    public bool CircuitOpen => _delivery.CircuitOpen;

    public DateTimeOffset? LastSuccessfulWrite => _delivery.LastSuccessfulWrite;

    public string? LastError => _delivery.LastError;

    public void Start()
    {
        _loop = Task.Run(SuperviseAsync);
        if (_retention is not null)
        {
            _cleanup = Task.Run(() => _retention.RunAsync(_delivery.Abort.Token));
        }
    }

    /// <summary>The hot path: an interlocked increment, a lock-free enqueue, and a wake-up only when a full batch waits.</summary>
    public void Enqueue(UsageEvent e)
    {
        var depth = _stopping ? 0 : _queue.TryEnqueue(e);
        if (depth == 0)
        {
            Overflow(e);
            return;
        }

        if (depth >= _batchSize && Volatile.Read(ref _waiting) != 0)
        {
            Wake();
        }
    }

    /// <summary>The queue is full (or closing): the overflow buffer takes the event, or it is dropped and counted.</summary>
    private void Overflow(UsageEvent e)
    {
        if (_options.SpoolWhenQueueFull)
        {
            _overflow.Add(e);
            return;
        }

        _counters.AddDropped(DropReason.QueueFull);
        _drops.Report(1, DropReason.QueueFull);
        if (e.Journal is { } journal)
        {
            e.Journal = null;
            journal.Ack();
        }
    }

    /// <summary>
    /// Waits until every event tracked before the call is handled: taken from the queue, the overflow buffer written, and
    /// the spool replayed. True when all of it reached the store; false when some stayed in the spool or time ran out.
    /// </summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_stopping && _loop.IsCompleted)
        {
            // Shut down: nothing more will be written now; what was queued is in the store or the spool.
            return _queue.IsEmpty && _overflow.Count == 0 && _held.Count == 0 && _spool.Files == 0;
        }

        var request = new FlushRequest(_queue.Enqueued);
        lock (_flushLock)
        {
            _flushes.Add(request);
        }

        Wake();
        try
        {
            return await request.Completion.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
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
            var rest = _delivery.Abandon();
            while (_queue.DequeueInto(rest, int.MaxValue) > 0)
            {
            }

            for (var i = 0; i < rest.Count; i++)
            {
                rest[i] = _normalizer.Normalize(rest[i]);
            }

            if (rest.Count > 0)
            {
                _delivery.SpoolBatch(rest, "shutdown deadline reached");
            }

            CompleteFlushes(TakeFlushes(), reachedStore: false);
            Log.ShutdownTimedOut(_logger, deadline, rest.Count);
        }

        _delivery.Abort.Cancel();
        // Events tracked from now on are written to the spool as they come: no writer is left to do it later.
        _overflow.Close();
        // What neither the store nor the spool could take is lost now; the drop reporter says so.
        RetryHeldInSpool();
        _held.DropAll(DropReason.SpoolError);
        _drops.Publish(force: true);
        await Task.WhenAny(_cleanup, Task.Delay(TimeSpan.FromMilliseconds(200), _time)).ConfigureAwait(false);
        _spool.Dispose();
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _waiting, 0) != 0)
        {
            _signal.Release();
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
            catch (Exception ex) when (!_delivery.IsAbandoned)
            {
                // Nothing may end this loop but shutdown: keep what it held, count, log, pause briefly, and go on.
                if (_batch.Count > 0)
                {
                    _delivery.SpoolBatch([.. _batch.Select(_normalizer.Normalize)], "the writer restarted");
                    _batch.Clear();
                }

                _counters.AddWriterRestart();
                Log.WriterCrashed(_logger, ex, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, _delivery.Abort.Token).ConfigureAwait(false);
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

    private async Task RunAsync()
    {
        while (!_delivery.IsAbandoned)
        {
            var flushes = TakeFlushes();
            var target = flushes.Length == 0 ? -1 : flushes.Max(f => f.QueueTarget);
            var reachedStore = await DrainQueueAsync(target).ConfigureAwait(false);
            _overflow.Write();
            reachedStore &= await RetryHeldAsync().ConfigureAwait(false);
            if (flushes.Length > 0 || _stopping)
            {
                // A flush (or shutdown) waits for the spool too: what overflowed before it is there now.
                reachedStore &= await _replay.ReplayAsync(draining: true, () => false).ConfigureAwait(false);
                CompleteFlushes(flushes, reachedStore);
                if (_stopping && _queue.IsEmpty)
                {
                    return;
                }
            }
            else
            {
                await _replay.ReplayAsync(draining: false, () => _queue.Depth >= _batchSize).ConfigureAwait(false);
            }

            _drops.Publish();
            if (!_stopping)
            {
                await WaitAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Delivers what is queued, a batch at a time: while full batches wait, until the queue has given up every event
    /// enqueued before <paramref name="target"/> (a flush), or everything (shutdown). Returns false when a batch had to be spooled.
    /// </summary>
    private async Task<bool> DrainQueueAsync(long target)
    {
        var reachedStore = true;
        while (true)
        {
            _batch.Clear();
            var taken = _queue.DequeueInto(_batch, _batchSize);
            if (taken == 0)
            {
                return reachedStore;
            }

            if (_userInfo is not null)
            {
                // Before normalising: the enricher needs the user as the app passed it, not its hash.
                await _userInfo.FillAsync(_batch.Select(e => e.User ?? _options.DefaultUser), _delivery.Abort.Token).ConfigureAwait(false);
            }

            for (var i = 0; i < _batch.Count; i++)
            {
                _batch[i] = _normalizer.Normalize(_batch[i]);
            }

            if (!await _delivery.DeliverAsync(_batch, spoolOnFailure: true).ConfigureAwait(false))
            {
                reachedStore = false;
                _replay.Postpone();
            }

            _batch.Clear();
            if (taken < _batchSize || !_stopping && _queue.Depth < _batchSize && _queue.Dequeued >= target)
            {
                return reachedStore;
            }
        }
    }

    /// <summary>Offers the batches held in memory to the store, then to the spool; true when none is left.</summary>
    private async Task<bool> RetryHeldAsync()
    {
        while (_held.TryTake() is { } batch)
        {
            if (await _delivery.DeliverAsync(batch, spoolOnFailure: false).ConfigureAwait(false) || _delivery.TrySpool(batch, "kept in memory while the spool was refusing", out var failure))
            {
                continue;
            }

            _held.PutBack(batch, failure);
            return false;
        }

        return true;
    }

    private void RetryHeldInSpool()
    {
        while (_held.TryTake() is { } batch)
        {
            if (!_delivery.TrySpool(batch, "shutting down", out var failure))
            {
                _held.PutBack(batch, failure);
                return;
            }
        }
    }

    private FlushRequest[] TakeFlushes()
    {
        lock (_flushLock)
        {
            if (_flushes.Count == 0)
            {
                return [];
            }

            var taken = _flushes.ToArray();
            _flushes.Clear();
            return taken;
        }
    }

    private static void CompleteFlushes(FlushRequest[] flushes, bool reachedStore)
    {
        foreach (var flush in flushes)
        {
            flush.Complete(reachedStore);
        }
    }

    private async Task WaitAsync()
    {
        Interlocked.Exchange(ref _waiting, 1);
        bool flushWaiting;
        lock (_flushLock)
        {
            flushWaiting = _flushes.Count > 0;
        }

        if (_queue.Depth >= _batchSize || _stopping || flushWaiting)
        {
            Interlocked.Exchange(ref _waiting, 0);
            return;
        }

        await _signal.WaitAsync(_options.FlushInterval).ConfigureAwait(false);
        Interlocked.Exchange(ref _waiting, 0);
    }
}
