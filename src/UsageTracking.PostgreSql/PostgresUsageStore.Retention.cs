using Npgsql;

namespace UsageTracking.PostgreSql;

public sealed partial class PostgresUsageStore
{
    private const int CleanupChunk = 10_000;

    /// <inheritdoc />
    public async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, string? appName, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var shape = await ShapeAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!shape.Exists)
        {
            return 0;
        }

        // Small chunks, each its own transaction, so writers never wait long behind the cleanup.
        var app = appName is null ? "" : " AND app_name = $2";
        await using var command = new NpgsqlCommand(
            $"DELETE FROM {_table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {_table} WHERE \"timestamp\" < $1{app} LIMIT {CleanupChunk}))", connection);
        command.Parameters.Add(TimestampParameter(cutoff, shape.TimestampTz));
        if (appName is not null)
        {
            command.Parameters.AddWithValue(appName);
        }

        long deleted = 0;
        int n;
        do
        {
            n = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            deleted += n;
        }
        while (n == CleanupChunk);

        if (await _rollups.ExistAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            // The triggers brought the old hours' and days' counts to zero; their rows go too.
            foreach (var sql in _rollups.RemoveEmptyBefore(appName is not null))
            {
                await using var remove = new NpgsqlCommand(sql, connection);
                remove.Parameters.AddWithValue(DateTime.SpecifyKind(cutoff.UtcDateTime, DateTimeKind.Unspecified));
                if (appName is not null)
                {
                    remove.Parameters.AddWithValue(appName);
                }

                await remove.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return deleted;
    }

    /// <inheritdoc />
    public async Task<long> DeleteUsersAsync(IReadOnlyCollection<string> users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (users.Count == 0 || !(await ShapeAsync(connection, cancellationToken).ConfigureAwait(false)).Exists)
        {
            return 0;
        }

        await using var command = new NpgsqlCommand($"DELETE FROM {_table} WHERE \"user\" = ANY($1)", connection);
        command.Parameters.AddWithValue(users.ToArray());
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (await _rollups.ExistAsync(connection, null, cancellationToken).ConfigureAwait(false))
        {
            // The trigger brought their daily counts to zero; erasure removes the rows that still name them.
            await using var remove = new NpgsqlCommand($"DELETE FROM {_rollups.Users} WHERE \"user\" = ANY($1)", connection);
            remove.Parameters.AddWithValue(users.ToArray());
            await remove.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }
}
