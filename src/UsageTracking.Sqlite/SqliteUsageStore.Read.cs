using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace UsageTracking.Sqlite;

public sealed partial class SqliteUsageStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        var shape = Shape(connection);
        if (!shape.Exists)
        {
            yield break;
        }

        // Stepped through SQLitePCLRaw rather than SqliteDataReader: a third cheaper per row, which is most of an export's time.
        using var rows = new SqliteRowReader(connection, $"SELECT {SelectList(shape)} FROM {_table} WHERE {Where(query)} ORDER BY \"timestamp\"", Parameters(query));
        var count = 0;
        while (rows.Step())
        {
            if (++count % 10_000 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
            }

            var action = rows.Text(3) ?? "";
            yield return new UsageEvent
            {
                Timestamp = ParseTimestamp(rows.Text(0)),
                AppName = rows.Text(1),
                User = rows.Text(2),
                Action = action,
                EventId = rows.Text(4),
                SessionId = rows.Text(5),
                Detail = rows.Text(6),
                DurationMs = rows.Real(7),
                Model = rows.Text(8),
                InputTokens = rows.Integer(9),
                OutputTokens = rows.Integer(10),
                CostUsd = rows.Real(11) is { } cost ? (decimal)cost : null,
                PropertiesJson = rows.Text(12),
                IsError = UsageErrors.IsError(rows.Integer(13) is { } flag ? flag != 0 : null, action),
            };
        }
    }

    /// <inheritdoc />
    public async Task<TableExtent> GetExtentAsync(string? appName, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (!Shape(connection).Exists)
        {
            return new TableExtent(0, null, null);
        }

        using var rows = connection.CreateCommand();
        rows.CommandText = RollupsCurrent(connection)
            ? $"SELECT COALESCE(SUM(events), 0) FROM {_rollups.Hourly}" + (appName is null ? "" : " WHERE app_name = $app")
            : $"SELECT COUNT(*) FROM {_table}" + (appName is null ? "" : " WHERE app_name = $app");
        using var ends = connection.CreateCommand();
        // The oldest and newest: by the app's (app_name, timestamp) index — one MIN or MAX per query, or SQLite scans the
        // whole range — or over all apps by rowid, which follows insertion.
        ends.CommandText = appName is null
            ? $"SELECT (SELECT \"timestamp\" FROM {_table} ORDER BY rowid LIMIT 1), (SELECT \"timestamp\" FROM {_table} ORDER BY rowid DESC LIMIT 1)"
            : $"SELECT (SELECT MIN(\"timestamp\") FROM {_table} WHERE app_name = $app), (SELECT MAX(\"timestamp\") FROM {_table} WHERE app_name = $app)";
        if (appName is not null)
        {
            rows.Parameters.AddWithValue("$app", appName);
            ends.Parameters.AddWithValue("$app", appName);
        }

        var count = (long)(await rows.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        using var reader = await ends.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? Read(int i) => reader.IsDBNull(i) ? null : ParseTimestamp(reader.GetString(i));
        return new TableExtent(count, Read(0), Read(1));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageEvent>> GetLatestAsync(string? appName, int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        var shape = Shape(connection);
        if (!shape.Exists)
        {
            return [];
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"timestamp\", app_name, \"user\", action, {(shape.Has("duration_ms") ? "duration_ms" : "NULL")} FROM {_table} "
            + (appName is null ? "ORDER BY rowid DESC LIMIT $n" : "WHERE app_name = $app ORDER BY \"timestamp\" DESC LIMIT $n");
        command.Parameters.AddWithValue("$n", count);
        if (appName is not null)
        {
            command.Parameters.AddWithValue("$app", appName);
        }

        var latest = new List<UsageEvent>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            latest.Add(new UsageEvent
            {
                Timestamp = ParseTimestamp(reader.GetString(0)),
                AppName = reader.GetString(1),
                User = reader.GetString(2),
                Action = reader.GetString(3),
                DurationMs = reader.IsDBNull(4) ? null : reader.GetDouble(4),
            });
        }

        return latest;
    }

    /// <summary>Every column of <see cref="UsageColumns.All"/>, in order; NULL for the ones this table lacks (or the caller skips).</summary>
    internal static string SelectList(TableShape shape, params string[] skip) =>
        string.Join(", ", UsageColumns.All.Select(c => shape.Has(c.Name) && !skip.Contains(c.Name) ? Quote(c.Name) : "NULL"));

    private static string Where(UsageQuery query)
    {
        var where = "\"timestamp\" >= $since AND \"timestamp\" < $until";
        if (query.AppName is not null)
        {
            where += " AND app_name = $app";
        }

        if (query.User is not null)
        {
            where += " AND \"user\" = $user";
        }

        if (query.Actions is { } actions)
        {
            where += actions.Count == 0 ? " AND 0" : $" AND action IN ({string.Join(", ", actions.Select((_, i) => $"$action{i}"))})";
        }

        return where;
    }

    private static List<(string Name, string Value)> Parameters(UsageQuery query)
    {
        var parameters = new List<(string, string)>
        {
            ("$since", query.Since.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)),
            ("$until", query.Until.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)),
        };
        if (query.AppName is not null)
        {
            parameters.Add(("$app", query.AppName));
        }

        if (query.User is not null)
        {
            parameters.Add(("$user", query.User));
        }

        for (var i = 0; i < (query.Actions?.Count ?? 0); i++)
        {
            parameters.Add(($"$action{i}", query.Actions![i]));
        }

        return parameters;
    }

    // The store writes one fixed format; reading it by position is ~10x cheaper than the general parser, which
    // stays as the fallback for rows other tools wrote.
    internal static DateTimeOffset ParseTimestamp(string? text)
    {
        if (text is { Length: 23 } && text[4] == '-' && text[7] == '-' && text[10] == ' ' && text[13] == ':' && text[16] == ':' && text[19] == '.'
            && TryDigits(text, 0, 4, out var year) && TryDigits(text, 5, 2, out var month) && TryDigits(text, 8, 2, out var day)
            && TryDigits(text, 11, 2, out var hour) && TryDigits(text, 14, 2, out var minute) && TryDigits(text, 17, 2, out var second)
            && TryDigits(text, 20, 3, out var millisecond) && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && hour < 24 && minute < 60 && second < 60)
        {
            return new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : default;
    }

    private static bool TryDigits(string text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = text[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            value = value * 10 + digit;
        }

        return true;
    }
}
