using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>
/// Deletes this app's rows past <see cref="UsageTrackingOptions.RetentionDays"/> on its own loop: first a little after start, so a
/// short-lived process never competes with its own start-up, then every <see cref="UsageTrackingOptions.CleanupInterval"/>.
/// </summary>
internal sealed class RetentionLoop(UsageTrackingOptions options, IUsageRetention store, ILogger logger, TimeProvider time)
{
    private readonly LogLevel _failureLevel = options.DebugLogging ? LogLevel.Warning : LogLevel.Debug;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var delay = TimeSpan.FromSeconds(Math.Min(30, options.CleanupInterval.TotalSeconds));
            while (true)
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = options.CleanupInterval;
                var cutoff = time.GetUtcNow().AddDays(-options.RetentionDays);
                try
                {
                    // Only this app's rows: a central table holds other apps' too, each with its own retention.
                    var deleted = await store.DeleteOlderThanAsync(cutoff, options.AppName, cancellationToken).ConfigureAwait(false);
                    Log.CleanedUp(logger, deleted, cutoff);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.CleanupFailed(logger, _failureLevel, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
