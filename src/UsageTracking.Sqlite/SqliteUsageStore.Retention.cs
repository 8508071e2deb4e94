using System.Globalization;

namespace UsageTracking.Sqlite;

public sealed partial class SqliteUsageStore
{
    private const int CleanupChunk = 10_000;

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, string? appName, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        var shape = Shape(connection);
        if (!shape.Exists)
        {
            return 0;
        }

        // Small chunks, each its own transaction, so the writer never waits long for the lock; one app's rows through its
        // (app_name, timestamp) index, every app's in rowid order, which follows time.
        var wasCurrent = _rollups.IsCurrent(connection);
        long deleted = 0;
        using var command = connection.CreateCommand();
        var app = appName is null ? "" : " AND app_name = $app";
        command.CommandText = $"DELETE FROM {_table} WHERE rowid IN (SELECT rowid FROM {_table} WHERE \"timestamp\" < $cutoff{app} LIMIT {CleanupChunk})";
        command.Parameters.AddWithValue("$cutoff", cutoff.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture));
        if (appName is not null)
        {
            command.Parameters.AddWithValue("$app", appName);
        }

        int n;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            n = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            deleted += n;
        }
        while (n == CleanupChunk);

        if (deleted > 0 && _rollups.Exist(connection))
        {
            // Days before the cutoff's are gone entirely; the cutoff's own day lost part of its rows, so it is recounted.
            var day = DateOnly.FromDateTime(cutoff.UtcDateTime);
            _rollups.DropBefore(connection, day, appName);
            _rollups.Rebuild(connection, shape, day, day.AddDays(1));
            KeepCurrent(connection, wasCurrent);
        }

        return deleted;
    }

    /// <inheritdoc />
    public async Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        var shape = Shape(connection);
        if (!shape.Exists || users.Count == 0)
        {
            return 0;
        }

        var json = System.Text.Json.JsonSerializer.Serialize(users);
        var exist = _rollups.Exist(connection);
        var days = exist ? _rollups.DaysOf(connection, json) : [];
        var wasCurrent = exist && _rollups.IsCurrent(connection);
        using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {_table} WHERE \"user\" IN (SELECT value FROM json_each($users))";
        command.Parameters.AddWithValue("$users", json);
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        // The erased users leave no trace in the rollups either: their days are recounted from the remaining rows.
        foreach (var day in days)
        {
            _rollups.Rebuild(connection, shape, day, day.AddDays(1));
        }

        KeepCurrent(connection, wasCurrent && days.Count > 0);
        return deleted;
    }
}
