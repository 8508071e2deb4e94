using Microsoft.Data.Sqlite;
using Npgsql;

namespace UsageTracking.Benchmarks;

/// <summary>
/// The baseline for stats at scale: the database counting the raw rows of a range itself (COUNT and GROUP BY over the
/// usage table, through its app + time index), which is what a store without rollups or aggregates would have to do.
/// Each returns the events counted.
/// </summary>
internal static class RawRowStats
{
    public static long Sqlite(string path, UsageQuery query)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        connection.Open();
        var where = "\"timestamp\" >= $since AND \"timestamp\" < $until" + (query.AppName is null ? "" : " AND app_name = $app");
        long events = -1;
        foreach (var sql in new[]
        {
            $"SELECT COUNT(*), COUNT(DISTINCT \"user\"), SUM(COALESCE(is_error, action LIKE '%\\_error%' ESCAPE '\\')) FROM central_app_usage WHERE {where}",
            $"SELECT action, COUNT(*) FROM central_app_usage WHERE {where} GROUP BY action",
            $"SELECT substr(\"timestamp\", 1, 10), COUNT(*), COUNT(DISTINCT \"user\") FROM central_app_usage WHERE {where} GROUP BY 1",
        })
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = 0;
            command.Parameters.AddWithValue("$since", query.Since.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$until", query.Until.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
            if (query.AppName is not null)
            {
                command.Parameters.AddWithValue("$app", query.AppName);
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                events = events < 0 ? reader.GetInt64(0) : events;
            }
        }

        return events;
    }

    public static long Postgres(string connectionString, string table, UsageQuery query)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        var where = "\"timestamp\" >= $1 AND \"timestamp\" < $2" + (query.AppName is null ? "" : " AND app_name = $3");
        long events = -1;
        foreach (var sql in new[]
        {
            $"SELECT COUNT(*), COUNT(DISTINCT \"user\"), COUNT(*) FILTER (WHERE COALESCE(is_error, action LIKE '%\\_error%')) FROM {table} WHERE {where}",
            $"SELECT action, COUNT(*) FROM {table} WHERE {where} GROUP BY action",
            $"SELECT (\"timestamp\" AT TIME ZONE 'UTC')::date, COUNT(*), COUNT(DISTINCT \"user\") FROM {table} WHERE {where} GROUP BY 1",
        })
        {
            using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            command.Parameters.AddWithValue(query.Since.UtcDateTime);
            command.Parameters.AddWithValue(query.Until.UtcDateTime);
            if (query.AppName is not null)
            {
                command.Parameters.AddWithValue(query.AppName);
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                events = events < 0 ? reader.GetInt64(0) : events;
            }
        }

        return events;
    }
}
