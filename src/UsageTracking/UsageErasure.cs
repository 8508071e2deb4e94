using UsageTracking.Implementation;

namespace UsageTracking;

/// <summary>The outcome of <see cref="UsageErasure.ForgetAsync"/>.</summary>
/// <param name="StoreRows">Rows deleted from the store.</param>
/// <param name="SpoolEvents">Events removed from the spool and the quarantine.</param>
/// <param name="SpoolFilesInUse">Spool files another process held, left as they were: run again once it has stopped.</param>
public sealed record ErasureResult(long StoreRows, long SpoolEvents, int SpoolFilesInUse);

/// <summary>The right to erasure: every trace of a user in the store and in the local spool and quarantine.</summary>
public static class UsageErasure
{
    /// <summary>
    /// Deletes the users' rows, both as the app passed them and as stored under <see cref="UsageTrackingOptions.Privacy"/>
    /// (their keyed hash), first from the spool and quarantine so that no replay brings them back, then from the store.
    /// </summary>
    /// <param name="options">The settings (spool folder, privacy key).</param>
    /// <param name="retention">The store's retention capability.</param>
    /// <param name="users">The users, e.g. e-mail addresses.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    public static async Task<ErasureResult> ForgetAsync(UsageTrackingOptions options, IUsageRetention retention, IEnumerable<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(retention);
        ArgumentNullException.ThrowIfNull(users);
        var forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in users.Where(u => !string.IsNullOrWhiteSpace(u)))
        {
            forms.Add(user);
            forms.Add(user.Trim().ToLowerInvariant());
            if (options.Privacy.HashKey is { Length: > 0 } key)
            {
                forms.Add(PrivacyFilter.Hash(user, key));
            }
        }

        using var spool = new Spool(options.ResolvedSpoolDirectory, long.MaxValue, TimeProvider.System, new DeliveryCounters());
        var (removed, inUse) = spool.RemoveUsers(forms);
        var rows = await retention.DeleteUsersAsync(forms, cancellationToken).ConfigureAwait(false);
        return new ErasureResult(rows, removed, inUse);
    }
}
