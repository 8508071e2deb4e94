using System.Collections.Concurrent;
using System.Net;

namespace UsageTracking.QueryApp.Identity;

/// <summary>
/// Locks the login form for an address after <see cref="MaxFailures"/> wrong keys within <see cref="Window"/>, for
/// <see cref="Window"/> after the last of them; a right key clears the address's count.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    /// <summary>Wrong keys allowed within the window.</summary>
    public const int MaxFailures = 5;

    /// <summary>How long failures count, and how long a lockout lasts.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>When the address may try again, or null when it may now.</summary>
    public DateTimeOffset? LockedUntil(IPAddress? address)
    {
        var now = time.GetUtcNow();
        if (!_failures.TryGetValue(Key(address), out var failures) || failures.Last + Window <= now)
        {
            return null;
        }

        return failures.Count >= MaxFailures ? failures.Last + Window : null;
    }

    /// <summary>Counts a wrong key; true when this one locks the address.</summary>
    public bool Failed(IPAddress? address)
    {
        var now = time.GetUtcNow();
        var updated = _failures.AddOrUpdate(Key(address), _ => new Failures(1, now),
            (_, f) => f.Last + Window <= now ? new Failures(1, now) : new Failures(f.Count + 1, now));
        if (_failures.Count > 10_000)
        {
            foreach (var stale in _failures.Where(f => f.Value.Last + Window <= now).Select(f => f.Key).ToList())
            {
                _failures.TryRemove(stale, out _);
            }
        }

        return updated.Count == MaxFailures;
    }

    /// <summary>Clears the address after a right key.</summary>
    public void Succeeded(IPAddress? address) => _failures.TryRemove(Key(address), out _);

    private static string Key(IPAddress? address) => address?.ToString() ?? "unknown";

    private readonly record struct Failures(int Count, DateTimeOffset Last);
}
