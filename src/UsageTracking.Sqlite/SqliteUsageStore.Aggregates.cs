using Microsoft.Data.Sqlite;
using UsageTracking.Analytics;

namespace UsageTracking.Sqlite;

public sealed partial class SqliteUsageStore
{
    /// <inheritdoc />
    public async Task<UsageAggregates> GetAggregatesAsync(UsageQuery query, AggregateParts parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (query.User is null && RollupsCurrent(connection))
        {
            return await _rollups.ReadAsync(connection, query, parts, cancellationToken).ConfigureAwait(false);
        }

        // No rollups yet, or rows they have not counted: fold the rows themselves (correct, slower).
        var builder = new AggregateBuilder();
        await foreach (var e in ReadEventsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            builder.Add(e);
        }

        return builder.Build();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FunnelStepCount>?> CountFunnelAsync(FunnelDefinition funnel, UsageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(funnel);
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        return query.User is null && RollupsCurrent(connection)
            ? await _rollups.CountFunnelAsync(connection, funnel, query, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>Recomputes every rollup from the usage table's rows: after rows were written or deleted by other tools.</summary>
    public async Task RebuildRollupsAsync(CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = WriteConnection();
            var shape = _shape ??= EnsureSchema(connection, allowUpgrade: true);
            _rollups.Rebuild(connection, shape);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Whether the rollups have counted every row (so they answer), for tests that must know which path answered.</summary>
    internal async Task<bool> RollupsAnswerAsync()
    {
        await using var connection = await OpenReadAsync(default).ConfigureAwait(false);
        return _rollups.IsCurrent(connection);
    }

    // The rollups answer only while they have counted every row; the first time they are found behind, say how to fix it.
    private bool RollupsCurrent(SqliteConnection connection)
    {
        if (_rollups.IsCurrent(connection))
        {
            return true;
        }

        if (_rollups.Exist(connection) && Interlocked.Exchange(ref _behindReported, 1) == 0)
        {
            Log.RollupsBehind(_logger, TableName);
        }

        return false;
    }

    // After this store's own deletes (retention, erasure) and the recount of the days they touched, the rollups are as
    // current as before, even if the table's last rowid moved.
    private void KeepCurrent(SqliteConnection connection, bool wasCurrent)
    {
        if (wasCurrent)
        {
            using var transaction = connection.BeginTransaction();
            _rollups.SetWatermark(connection, transaction, _rollups.MaxRowId(connection, transaction));
            transaction.Commit();
        }
    }
}
