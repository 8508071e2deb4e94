using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>
/// Looked-up user details, kept for <see cref="UsageTrackingOptions.UserInfoCacheDuration"/> (misses too, so an unknown
/// user is not asked about on every event). Filled by the writer before it normalises a batch.
/// </summary>
internal sealed class UserInfoCache(IUserEnricher enricher, TimeSpan duration, TimeProvider time, ILogger logger, LogLevel failureLevel)
{
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, (UserInfo? Info, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);

    public UserInfo? Cached(string? user) =>
        user is not null && _entries.TryGetValue(user, out var entry) && entry.Expires > time.GetUtcNow() ? entry.Info : null;

    public async Task FillAsync(IEnumerable<string?> users, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var user in users.Distinct(StringComparer.Ordinal))
        {
            if (user is null || _entries.TryGetValue(user, out var entry) && entry.Expires > now)
            {
                continue;
            }

            UserInfo? info = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(LookupTimeout);
            try
            {
                info = await enricher.EnrichAsync(user, timeout.Token).AsTask().WaitAsync(LookupTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Log.EnrichmentFailed(logger, failureLevel, ex.Message);
            }

            _entries[user] = (info, now + duration);
        }
    }
}
