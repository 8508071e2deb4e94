using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Services;

/// <summary>The app is at its limit of running queries: one sentence saying so, with how long to wait.</summary>
public sealed class QueryBusyException(string message) : Exception(message);

/// <summary>
/// Bounds the user queries running at once, in the app and per user, and runs each on a thread of its own: a query blocks
/// its thread while the database works (SQLite always does), so queries on the shared thread pool would starve the rest of
/// the app — health checks, the dashboard, the tracker. The timeout counts from when the query was asked for, so time spent
/// waiting for a slot is part of it.
/// </summary>
public sealed class QuerySlots(IOptions<QueryAppOptions> options, TimeProvider time)
{
    private readonly QueryAppOptions _options = options.Value;
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentQueries, options.Value.MaxConcurrentQueries);
    private readonly ConcurrentDictionary<string, int> _perUser = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Queries running now.</summary>
    public int Running => _options.MaxConcurrentQueries - _slots.CurrentCount;

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="user"/> once a slot is free, on a dedicated thread, with the limits left
    /// for it (<see cref="QueryAppOptions.QueryTimeout"/>, or <paramref name="timeout"/> when given, counted from now). Throws
    /// <see cref="QueryBusyException"/> when no slot frees in time.
    /// </summary>
    public async Task<T> RunAsync<T>(string user, Func<SqlLimits, CancellationToken, Task<T>> work, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        var asked = time.GetTimestamp();
        var allowed = timeout ?? _options.QueryTimeout;
        if (_perUser.AddOrUpdate(user, 1, (_, n) => n + 1) > _options.MaxQueriesPerUser)
        {
            Leave(user);
            throw new QueryBusyException(_options.MaxQueriesPerUser == 1
                ? "You already have a query running; wait for it to finish, then run this one."
                : $"You already have {_options.MaxQueriesPerUser} queries running; wait for one to finish, then run this one.");
        }

        try
        {
            var wait = _options.QueryQueueWait < allowed ? _options.QueryQueueWait : allowed;
            if (!await _slots.WaitAsync(wait, cancellationToken).ConfigureAwait(false))
            {
                throw new QueryBusyException($"The app is busy running other people's queries ({_options.MaxConcurrentQueries} at once); try again in a few seconds.");
            }

            try
            {
                var left = allowed - time.GetElapsedTime(asked);
                var limits = new SqlLimits(left > TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), _options.CellByteLimit);
                // The work's own awaits complete on this thread for SQLite (its calls are synchronous) and on the pool for
                // truly asynchronous drivers; either way the pool is never blocked by a query.
                return await Task.Factory.StartNew(() => work(limits, cancellationToken).GetAwaiter().GetResult(), cancellationToken,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Leave(user);
        }
    }

    private void Leave(string user)
    {
        if (_perUser.AddOrUpdate(user, 0, (_, n) => n - 1) <= 0)
        {
            _perUser.TryRemove(new KeyValuePair<string, int>(user, 0));
        }
    }
}
