using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;

namespace UsageTracking.PostgreSql;

public sealed partial class PostgresUsageStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var shape = await ShapeAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!shape.Exists)
        {
            yield break;
        }

        // Every column of UsageColumns, in order; NULL for the ones this table lacks.
        var select = string.Join(", ", UsageColumns.All.Select(c => !shape.Has(c.Name) ? "NULL" : c.Type == UsageColumnType.Json ? $"{Quote(c.Name)}::text" : Quote(c.Name)));
        await using var command = Command(connection, $"SELECT {select} FROM {_table} WHERE {Where(query)} ORDER BY \"timestamp\"", query, shape);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var timestamp = reader.IsDBNull(0) ? default : Utc(reader.GetDateTime(0));
            var app = Text(reader, 1);
            var user = Text(reader, 2);
            var action = Text(reader, 3) ?? "";
            var eventId = Text(reader, 4);
            var session = Text(reader, 5);
            var detail = Text(reader, 6);
            double? duration = reader.IsDBNull(7) ? null : reader.GetDouble(7);
            var model = Text(reader, 8);
            long? input = reader.IsDBNull(9) ? null : reader.GetInt64(9);
            long? output = reader.IsDBNull(10) ? null : reader.GetInt64(10);
            decimal? cost = reader.IsDBNull(11) ? null : reader.GetDecimal(11);
            var properties = Text(reader, 12);
            bool? flag = reader.IsDBNull(13) ? null : reader.GetBoolean(13);
            yield return new UsageEvent
            {
                Timestamp = timestamp,
                AppName = app,
                User = user,
                Action = action,
                EventId = eventId,
                SessionId = session,
                Detail = detail,
                DurationMs = duration,
                Model = model,
                InputTokens = input,
                OutputTokens = output,
                CostUsd = cost,
                PropertiesJson = properties,
                IsError = UsageErrors.IsError(flag, action),
            };
        }
    }

    /// <inheritdoc />
    public async Task<TableExtent> GetExtentAsync(string? appName, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var shape = await ShapeAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!shape.Exists)
        {
            return new TableExtent(0, null, null);
        }

        var filter = appName is null ? "" : " WHERE app_name = $1";
        var rows = await _rollups.ExistAsync(connection, null, cancellationToken).ConfigureAwait(false)
            ? $"SELECT COALESCE(SUM(events), 0)::bigint FROM {_rollups.Hourly}{filter}"
            : $"SELECT COUNT(*) FROM {_table}{filter}";
        // The ends through an index: the app's (app_name, timestamp), or over all apps the UUIDv7 event ids, which follow time.
        var ends = appName is not null || !shape.Extended
            ? $"SELECT (SELECT MIN(\"timestamp\") FROM {_table}{filter}), (SELECT MAX(\"timestamp\") FROM {_table}{filter})"
            : $"SELECT (SELECT \"timestamp\" FROM {_table} WHERE event_id IS NOT NULL ORDER BY event_id LIMIT 1), (SELECT \"timestamp\" FROM {_table} WHERE event_id IS NOT NULL ORDER BY event_id DESC LIMIT 1)";
        await using var count = new NpgsqlCommand(rows, connection);
        await using var range = new NpgsqlCommand(ends, connection);
        if (appName is not null)
        {
            count.Parameters.AddWithValue(appName);
            range.Parameters.AddWithValue(appName);
        }

        var total = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await using var reader = await range.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : Utc(reader.GetDateTime(i));
        return new TableExtent(total, At(0), At(1));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageEvent>> GetLatestAsync(string? appName, int count, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var shape = await ShapeAsync(connection, cancellationToken).ConfigureAwait(false);
        if (!shape.Exists)
        {
            return [];
        }

        var order = appName is null && shape.Extended ? "ORDER BY event_id DESC" : "ORDER BY \"timestamp\" DESC";
        await using var command = new NpgsqlCommand(
            $"SELECT \"timestamp\", app_name, \"user\", action, {(shape.Has("duration_ms") ? "duration_ms" : "NULL::float8")} FROM {_table}"
            + (appName is null ? "" : " WHERE app_name = $2") + $" {order} LIMIT $1", connection);
        command.Parameters.AddWithValue(count);
        if (appName is not null)
        {
            command.Parameters.AddWithValue(appName);
        }

        var latest = new List<UsageEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            latest.Add(new UsageEvent
            {
                Timestamp = Utc(reader.GetDateTime(0)),
                AppName = reader.IsDBNull(1) ? "" : reader.GetString(1),
                User = reader.IsDBNull(2) ? "" : reader.GetString(2),
                Action = reader.IsDBNull(3) ? "" : reader.GetString(3),
                DurationMs = reader.IsDBNull(4) ? null : reader.GetDouble(4),
            });
        }

        return latest;
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
