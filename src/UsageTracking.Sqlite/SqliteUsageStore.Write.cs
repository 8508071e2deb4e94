using Microsoft.Data.Sqlite;

namespace UsageTracking.Sqlite;

public sealed partial class SqliteUsageStore
{
    /// <inheritdoc />
    public async Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = WriteConnection();
            var shape = _shape ??= EnsureSchema(connection, allowUpgrade: true);
            using var transaction = connection.BeginTransaction();
            _insert ??= new SqliteBatchInsert(connection, _table, shape);
            var inserted = new List<(string, UsageEvent)>(batch.Count);
            var compat = !shape.Extended;
            var flagged = shape.Has("is_error");
            // Counted up to the table's last row before this batch? Then after it too; if not, another tool wrote rows
            // the rollups have not seen, and they stay marked behind until rebuilt.
            var current = _rollups.Watermark(connection, transaction) == _rollups.MaxRowId(connection, transaction);
            foreach (var e in batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_insert.Insert(e))
                {
                    // Counted as a reader will read the row back: a table without is_error leaves errors to the naming rule.
                    var action = compat ? e.CompatAction : e.Action;
                    inserted.Add((e.AppName ?? "", flagged ? e : e with { Action = action, IsError = UsageErrors.IsErrorName(action) }));
                }
            }

            _rollups.Add(connection, transaction, inserted);
            if (current)
            {
                _rollups.SetWatermark(connection, transaction, _rollups.MaxRowId(connection, transaction));
            }

            transaction.Commit();
            return inserted.Count;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1 && ex.Message.Contains("no such table", StringComparison.OrdinalIgnoreCase))
        {
            // The table was dropped under us: prepare it again on the next attempt.
            _shape = null;
            ResetInsert();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception exception) => exception switch
    {
        // Constraint, type mismatch, too big, out of range: this data, not the store.
        SqliteException { SqliteErrorCode: var code } when (code & 0xFF) is 18 or 19 or 20 or 25 => StoreErrorKind.Rejected,
        _ => StoreErrorKind.Transient,
    };
}
