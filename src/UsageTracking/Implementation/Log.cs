using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>Every message the tracker logs, with stable event ids. No message ever includes a secret.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Usage tracking for app '{AppName}' writes to {Store}; spool at {SpoolDirectory}.")]
    public static partial void Started(ILogger logger, string appName, string store, string spoolDirectory);

    [LoggerMessage(2, LogLevel.Information, "Usage table schema: {SchemaMode}.")]
    public static partial void SchemaReady(ILogger logger, StoreSchemaMode schemaMode);

    [LoggerMessage(EventId = 3, Message = "The usage store could not prepare its table: {Reason}")]
    public static partial void SchemaFailed(ILogger logger, LogLevel level, string reason);

    [LoggerMessage(EventId = 4, Message = "A usage store write failed and will be retried (attempt {Attempt}): {Reason}")]
    public static partial void Retrying(ILogger logger, LogLevel level, int attempt, string reason);

    [LoggerMessage(EventId = 5, Message = "{Count} usage events were spooled to disk because the store could not take them: {Reason}")]
    public static partial void Spooled(ILogger logger, LogLevel level, int count, string reason);

    [LoggerMessage(6, LogLevel.Information, "Replayed {Count} spooled usage events from {File} ({AlreadyPresent} of them were in the store already).")]
    public static partial void Replayed(ILogger logger, int count, long alreadyPresent, string file);

    [LoggerMessage(7, LogLevel.Warning, "A usage event was refused by the store and quarantined in {Directory}: {Reason}")]
    public static partial void Quarantined(ILogger logger, string directory, string reason);

    [LoggerMessage(8, LogLevel.Warning, "{Count} usage events were dropped ({Reason}); see the usage_tracking.events.dropped metric.")]
    public static partial void Dropped(ILogger logger, long count, string reason);

    [LoggerMessage(9, LogLevel.Error, "The usage writer loop failed and restarts: {Reason}")]
    public static partial void WriterCrashed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 10, Message = "The usage store is failing; batches go to the spool for {BreakDuration}.")]
    public static partial void CircuitOpened(ILogger logger, LogLevel level, TimeSpan breakDuration);

    [LoggerMessage(11, LogLevel.Information, "The usage store is reachable again.")]
    public static partial void CircuitClosed(ILogger logger);

    [LoggerMessage(12, LogLevel.Information, "Retention cleanup deleted {Count} usage rows older than {Cutoff:u}.")]
    public static partial void CleanedUp(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 13, Message = "Retention cleanup failed: {Reason}")]
    public static partial void CleanupFailed(ILogger logger, LogLevel level, string reason);

    [LoggerMessage(14, LogLevel.Warning, "Usage tracking shut down with the store not answering after {Timeout}; {Count} events were spooled and will be written at the next start.")]
    public static partial void ShutdownTimedOut(ILogger logger, TimeSpan timeout, int count);

    [LoggerMessage(15, LogLevel.Warning, "{Count} lines of spool file {File} are not events; they are set aside in the quarantine with their file and line.")]
    public static partial void CorruptSpoolLines(ILogger logger, long count, string file);

    [LoggerMessage(16, LogLevel.Information, "Usage tracking is disabled (UsageTracking:Enabled=false or ANALYTICS_ENABLED=false).")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(17, LogLevel.Warning, "The spool folder {Directory} cannot be used ({Reason}); events the store cannot take will be lost until it can.")]
    public static partial void SpoolUnavailable(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 18, Message = "A {Field} value of {Length} characters was shortened to the limit of {Limit} (UsageTracking.FieldLimits).")]
    public static partial void Truncated(ILogger logger, LogLevel level, string field, int length, int limit);

    [LoggerMessage(EventId = 19, Message = "The user enricher failed; events are stored without user_info: {Reason}")]
    public static partial void EnrichmentFailed(ILogger logger, LogLevel level, string reason);

    [LoggerMessage(20, LogLevel.Warning, "{Count} usage events could neither be written nor spooled ({Reason}); {Held} are kept in memory and offered to the store and the spool again.")]
    public static partial void HoldingInMemory(ILogger logger, int count, string reason, long held);

    [LoggerMessage(21, LogLevel.Information, "Every usage event kept in memory while the spool could not take it has found its way to the store or the spool.")]
    public static partial void NoLongerHolding(ILogger logger);

    [LoggerMessage(23, LogLevel.Information, "Rows older than {Days} days are not deleted by this tracker on this store: {Advice}.")]
    public static partial void RetentionNotPeriodic(ILogger logger, int days, string advice);

    [LoggerMessage(22, LogLevel.Error, "The usage store refuses every write until its configuration is fixed; events wait in the spool: {Reason}")]
    public static partial void ConfigurationError(ILogger logger, string reason);
}
