namespace UsageTracking.QueryApp.Services;

/// <summary>
/// One live feed per app filter, however many dashboards watch it: the figures are read once a second while anyone
/// subscribes and handed to every subscriber, so fifty open tabs cost the store what one does (on Databricks, statements
/// are billed warehouse time). A failed read skips a second and is logged once per run of failures.
/// </summary>
public sealed partial class LiveUpdates : IDisposable
{
    /// <summary>How often the figures are read.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Func<string?, CancellationToken, Task<LiveUpdate>> _read;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Feeds read through the dashboard service.</summary>
    public LiveUpdates(DashboardService dashboard, TimeProvider time, ILogger<LiveUpdates> logger)
        : this((app, ct) => dashboard.LiveAsync(app, ct), time, logger)
    {
    }

    /// <summary>Feeds read through <paramref name="read"/>.</summary>
    public LiveUpdates(Func<string?, CancellationToken, Task<LiveUpdate>> read, TimeProvider time, ILogger logger)
    {
        _read = read;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Calls <paramref name="onUpdate"/> with each update of <paramref name="app"/>'s feed (blank: all apps) until the result
    /// is disposed.
    /// </summary>
    public IDisposable Subscribe(string? app, Func<LiveUpdate, Task> onUpdate)
    {
        ArgumentNullException.ThrowIfNull(onUpdate);
        var filter = DashboardService.Blank(app);
        var key = filter ?? "";
        lock (_gate)
        {
            if (_feeds.TryGetValue(key, out var feed))
            {
                feed.Add(onUpdate);
            }
            else
            {
                feed = new Feed(this, filter);
                _feeds[key] = feed;
                feed.Add(onUpdate);
                feed.Start();
            }

            return new Subscription(this, key, onUpdate);
        }
    }

    /// <summary>The feeds running now (one per app filter with subscribers).</summary>
    public int Running
    {
        get
        {
            lock (_gate)
            {
                return _feeds.Count;
            }
        }
    }

    private void Unsubscribe(string key, Func<LiveUpdate, Task> onUpdate)
    {
        lock (_gate)
        {
            if (_feeds.TryGetValue(key, out var feed) && feed.Remove(onUpdate))
            {
                _feeds.Remove(key);
                feed.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var feed in _feeds.Values)
            {
                feed.Dispose();
            }

            _feeds.Clear();
        }
    }

    private sealed class Subscription(LiveUpdates owner, string key, Func<LiveUpdate, Task> onUpdate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(key, onUpdate);
            }
        }
    }

    private sealed class Feed : IDisposable
    {
        private readonly LiveUpdates _owner;
        private readonly string? _app;
        private readonly List<Func<LiveUpdate, Task>> _subscribers = [];
        private readonly CancellationTokenSource _stop = new();
        private bool _failing;

        public Feed(LiveUpdates owner, string? app)
        {
            _owner = owner;
            _app = app;
        }

        public void Start() => _ = RunAsync(_stop.Token);

        public void Add(Func<LiveUpdate, Task> subscriber)
        {
            lock (_subscribers)
            {
                _subscribers.Add(subscriber);
            }
        }

        // True when the feed has no subscriber left.
        public bool Remove(Func<LiveUpdate, Task> subscriber)
        {
            lock (_subscribers)
            {
                _subscribers.Remove(subscriber);
                return _subscribers.Count == 0;
            }
        }

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(Interval, _owner._time);
            do
            {
                LiveUpdate update;
                try
                {
                    update = await _owner._read(_app, cancellationToken).ConfigureAwait(false);
                    _failing = false;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    if (!_failing)
                    {
                        Log.ReadFailed(_owner._logger, ex, _app ?? "all apps");
                    }

                    _failing = true;
                    continue;
                }

                Func<LiveUpdate, Task>[] subscribers;
                lock (_subscribers)
                {
                    subscribers = [.. _subscribers];
                }

                foreach (var subscriber in subscribers)
                {
                    try
                    {
                        await subscriber(update).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // One page that cannot take an update (its circuit just closed) must not stop the others'.
                        Log.SubscriberFailed(_owner._logger, ex.Message);
                    }
                }
            }
            while (await Tick(timer, cancellationToken).ConfigureAwait(false));
        }

        private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken cancellationToken)
        {
            try
            {
                return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        // Cancelled, not disposed: the loop may still be between two awaits on the token.
        public void Dispose() => _stop.Cancel();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "The live dashboard could not read the usage table for {App}; it keeps the last figures and tries every second")]
        public static partial void ReadFailed(ILogger logger, Exception exception, string app);

        [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "A live dashboard could not take an update: {Reason}")]
        public static partial void SubscriberFailed(ILogger logger, string reason);
    }
}
