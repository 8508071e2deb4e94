using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UsageTracking.Analytics;
using UsageTracking.Implementation;

namespace UsageTracking;

/// <summary>
/// The tracker: see <see cref="IUsageTracker"/>. Create one per process (<see cref="Create(UsageTrackingOptions)"/>
/// or <c>services.AddUsageTracking(…)</c>) and dispose it at exit; it is thread-safe.
/// </summary>
public sealed class UsageTracker : IUsageTracker
{
    private readonly UsageTrackingOptions _options;
    private readonly IUsageStore _store;
    private readonly UsageAnalytics? _analytics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters = new();
    private readonly EventNormalizer _normalizer;
    private readonly Spool? _spool;
    private readonly BackgroundWriter? _writer;
    private readonly TrackerMetrics? _metrics;
    private readonly bool _enabled;
    private readonly bool _durable;
    private readonly IReadOnlyDictionary<string, ModelPrice> _prices;
    private readonly Dictionary<string, decimal> _unitPrices;
    private IAsyncDisposable? _ownedServices;
    private int _disposed;

    internal UsageTracker(UsageTrackingOptions options, IUsageStore store, IUsageRetention? retention, UsageAnalytics? analytics,
        ILoggerFactory loggerFactory, TimeProvider time, IMeterFactory? meterFactory)
    {
        _options = options;
        _store = store;
        _analytics = analytics;
        _time = time;
        _logger = loggerFactory.CreateLogger("UsageTracking");
        var failureLevel = options.DebugLogging ? LogLevel.Warning : LogLevel.Debug;
        var userInfo = options.UserEnricher is { } enricher ? new UserInfoCache(enricher, options.UserInfoCacheDuration, time, _logger, failureLevel) : null;
        _normalizer = new EventNormalizer(options.AppName, options.DefaultUser, _counters, _logger, failureLevel, options.Privacy, userInfo is null ? null : userInfo.Cached);
        _enabled = options.Enabled;
        _durable = options.Durable;
        _prices = ModelPricing.Merge(options.ModelPrices);
        _unitPrices = new Dictionary<string, decimal>(options.UnitPrices ?? [], StringComparer.OrdinalIgnoreCase);
        if (!_enabled)
        {
            Log.Disabled(_logger);
            return;
        }

        _spool = new Spool(options.ResolvedSpoolDirectory, options.SpoolMaxBytes, time, _counters);
        var spool = _spool;
        BackgroundWriter? writer = null;
        _metrics = new TrackerMetrics(meterFactory, options.AppName, _counters, () => writer?.QueueDepth ?? 0, () => spool.Bytes, () => spool.Files);
        writer = new BackgroundWriter(options, store, retention, _spool, _counters, new DropReporter(_logger, time), _normalizer, _metrics, _logger, time, userInfo);
        _writer = writer;
        Log.Started(_logger, options.AppName, store.Description, _spool.Directory);
        if (_spool.StartupError is { } spoolError)
        {
            Log.SpoolUnavailable(_logger, _spool.Directory, spoolError);
        }

        _writer.Start();
        // Environment.Exit and a normal end of Main skip DisposeAsync in many apps: flush (bounded) on the way out.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    /// <summary>The options in force (after environment overrides).</summary>
    public UsageTrackingOptions Options => _options;

    /// <summary>The spool folder in use.</summary>
    public string SpoolDirectory => _options.ResolvedSpoolDirectory;

    /// <summary>
    /// Creates a tracker for an app without dependency injection, with the store <see cref="UsageTrackingOptions.Store"/>
    /// names. Throws <see cref="ArgumentException"/> naming the setting when the options are invalid or the store's package
    /// is missing; tracking calls never throw after that.
    /// </summary>
    /// <param name="options">The settings; <c>ANALYTICS_ENABLED</c> and <c>DEBUG_LOGGING</c> from the environment are applied.</param>
    public static UsageTracker Create(UsageTrackingOptions options) => Create(options, loggerFactory: null);

    /// <summary>
    /// Creates a tracker with logging, and optionally a store of your own for writes (for example a custom backend).
    /// Without <paramref name="store"/>, the store <see cref="UsageTrackingOptions.Store"/> names is registered with all its
    /// capabilities, exactly as <c>services.AddUsageTracking(…)</c> does; a store passed here is only written to, so
    /// <see cref="GetUsageStatsAsync"/> and the retention cleanup need the store package's registration instead.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Where the tracker logs; null for none.</param>
    /// <param name="store">A store to write to instead of the one <see cref="UsageTrackingOptions.Store"/> names.</param>
    /// <param name="timeProvider">The clock; null for the system clock.</param>
    /// <param name="meterFactory">Creates the <c>UsageTracking</c> meter; null for a standalone meter.</param>
    /// <param name="configuration">The <c>UsageTracking</c> configuration section, for store-specific settings.</param>
    public static UsageTracker Create(UsageTrackingOptions options, ILoggerFactory? loggerFactory, IUsageStore? store = null,
        TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Clone();
        settings.ApplyEnvironment();
        settings.ThrowIfInvalid();
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(timeProvider ?? TimeProvider.System);
        if (meterFactory is not null)
        {
            services.AddSingleton(meterFactory);
        }

        if (store is not null)
        {
            // Registered before AddUsageTracking, which then selects no store package; the container disposes it with the tracker.
            services.AddSingleton(_ => store);
        }

        services.AddUsageTracking(settings, configuration);
        var provider = services.BuildServiceProvider();
        try
        {
            var tracker = provider.GetRequiredService<UsageTracker>();
            tracker._ownedServices = provider;
            return tracker;
        }
        catch (Exception ex)
        {
            // Stores are asynchronously disposable only.
            provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (ex is OptionsValidationException invalid)
            {
                throw new ArgumentException(string.Join(" ", invalid.Failures), ex);
            }

            throw;
        }
    }

    /// <inheritdoc />
    public void TrackUserAction(string? userEmail, string action)
    {
        if (!_enabled)
        {
            return;
        }

        try
        {
            Enqueue(new UsageEvent(_time.GetUtcNow(), userEmail, action));
        }
        catch (Exception)
        {
            _counters.AddDropped(DropReason.InternalError);
        }
    }

    /// <inheritdoc />
    public void TrackUserAction(string? userEmail, string action, string? sessionId, double? durationMs = null, IReadOnlyDictionary<string, object?>? properties = null)
    {
        if (!_enabled)
        {
            return;
        }

        try
        {
            Enqueue(new UsageEvent(_time.GetUtcNow(), userEmail, action) { SessionId = sessionId, DurationMs = durationMs, Properties = properties });
        }
        catch (Exception)
        {
            _counters.AddDropped(DropReason.InternalError);
        }
    }

    /// <inheritdoc />
    public void TrackError(string? userEmail, string errorType, string? errorMessage, Exception? exception = null)
    {
        if (!_enabled)
        {
            return;
        }

        try
        {
            var detail = errorMessage ?? exception?.Message;
            var properties = exception is null ? null : new Dictionary<string, object?> { ["exception_type"] = exception.GetType().FullName };
            Enqueue(new UsageEvent(_time.GetUtcNow(), userEmail, errorType) { Detail = detail, Properties = properties, IsError = true });
        }
        catch (Exception)
        {
            _counters.AddDropped(DropReason.InternalError);
        }
    }

    /// <inheritdoc />
    public void Track(UsageEvent usageEvent)
    {
        if (!_enabled || usageEvent is null)
        {
            return;
        }

        try
        {
            // A copy: the caller may track the same instance again, and each tracking is its own event.
            var copy = usageEvent with
            {
                Timestamp = usageEvent.Timestamp == default ? _time.GetUtcNow() : usageEvent.Timestamp,
                CostUsd = usageEvent.CostUsd ?? (usageEvent.Model is null ? UnitPrice(usageEvent) : Price(usageEvent)),
            };
            Enqueue(copy);
        }
        catch (Exception)
        {
            _counters.AddDropped(DropReason.InternalError);
        }
    }

    // An event of TrackUnitCost: its quantity at the configured price of its unit.
    private decimal? UnitPrice(UsageEvent e) =>
        _unitPrices.Count > 0 && e.Properties is { } properties
        && properties.GetValueOrDefault(UsageTrackerChatExtensions.UnitKey) is string unit && _unitPrices.TryGetValue(unit, out var price)
        && properties.GetValueOrDefault(UsageTrackerChatExtensions.QuantityKey) switch
        {
            decimal d => d,
            int i => i,
            long l => l,
            double x when double.IsFinite(x) && Math.Abs(x) < 1e15 => (decimal?)(decimal)x,
            _ => null,
        } is { } quantity
            ? Times(price, quantity)
            : null;

    // A cost too large for decimal is no cost rather than a lost event.
    private static decimal? Times(decimal price, decimal quantity)
    {
        try
        {
            return Math.Round(price * quantity, 8);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private decimal? Price(UsageEvent e)
    {
        if (e.Action != Actions.TokenUsage || (e.InputTokens is null && e.OutputTokens is null))
        {
            return null;
        }

        long Tokens(string key) => e.Properties?.GetValueOrDefault(key) switch { long l => l, int i => i, _ => 0 };
        return ModelPricing.Estimate(_prices, e.Model, e.InputTokens ?? 0, e.OutputTokens ?? 0, Tokens("cache_read_input_tokens"), Tokens("cache_creation_input_tokens"));
    }

    private void Enqueue(UsageEvent e)
    {
        if (_durable)
        {
            e = _normalizer.Normalize(e);
            e.Journal = _spool!.AppendJournal(e);
        }

        _writer!.Enqueue(e);
    }

    /// <inheritdoc />
    public Task<UsageStats> GetUsageStatsAsync(string? userEmail = null, int days = 30, CancellationToken cancellationToken = default)
    {
        if (days < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(days), days, "days must be 1 or more.");
        }

        if (_analytics is null)
        {
            throw new InvalidOperationException($"The usage store ({_store.Description}) was given without a reader: register the store package (Store = name) to read stats back.");
        }

        var user = string.IsNullOrWhiteSpace(userEmail) ? null : _options.Privacy.StoredUser(userEmail);
        return _analytics.GetStatsAsync(UsageQuery.LastDays(days, _time.GetUtcNow(), _options.AppName, user), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_writer is null)
        {
            return new FlushResult(0, 0, 0, 0, 0, 0, Completed: true);
        }

        var (written, spooled, dropped, quarantined) = (_counters.Written, _counters.Spooled, _counters.DroppedTotal, _counters.Quarantined);
        var completed = await _writer.FlushAsync(_options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        return new FlushResult(
            _counters.Written - written,
            _counters.Spooled - spooled,
            _counters.DroppedTotal - dropped,
            _counters.Quarantined - quarantined,
            _writer.QueueDepth,
            _spool!.Events,
            completed);
    }

    /// <inheritdoc />
    public TrackerHealth GetHealth() => new(
        _store.Description,
        _writer?.SchemaMode,
        _counters.Written,
        _counters.Spooled,
        _counters.Replayed,
        _counters.AlreadyPresent,
        Enum.GetValues<DropReason>().Where(r => _counters.Dropped(r) > 0).ToDictionary(DeliveryCounters.Name, _counters.Dropped),
        _counters.Quarantined,
        _counters.TruncatedTotal,
        _counters.Retries,
        _counters.CorruptSpoolLines,
        _writer?.QueueDepth ?? 0,
        _spool?.Files ?? 0,
        _spool?.Bytes ?? 0,
        _writer?.CircuitOpen ?? false,
        _writer?.LastSuccessfulWrite,
        _writer?.LastError,
        _spool?.LastError ?? _spool?.StartupError);

    /// <summary>
    /// Delivers what is queued, for at most <see cref="UsageTrackingOptions.ShutdownTimeout"/>; the rest is spooled
    /// and written at the next start. Never throws.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
            }

            _metrics?.Dispose();
            if (_ownedServices is { } services)
            {
                // The services of a tracker made by Create: the store goes with them, bounded so a dead store cannot hang the exit.
                await Task.WhenAny(services.DisposeAsync().AsTask(), Task.Delay(TimeSpan.FromSeconds(1), _time)).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Log.WriterCrashed(_logger, ex, "disposal failed: " + ex.Message);
        }
    }

    /// <summary>
    /// The same as <see cref="DisposeAsync"/>, bounded by <see cref="UsageTrackingOptions.ShutdownTimeout"/> plus a second:
    /// runs on the thread pool, so it neither deadlocks a synchronisation context nor hangs on a dead store.
    /// </summary>
    public void Dispose()
    {
        var disposal = Task.Run(async () => await DisposeAsync().ConfigureAwait(false));
        disposal.Wait(_options.ShutdownTimeout + TimeSpan.FromSeconds(2));
    }
}
