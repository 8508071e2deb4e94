using System.Globalization;
using System.Text.RegularExpressions;
using UsageTracking.QueryApp.Sql;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Generation;

/// <summary>
/// Deterministic question → SQL for the usage table, in the dialect of the store that holds it: the earlier
/// app's four analyses (daily active users, popular actions, SQL editing patterns, errors) and the questions
/// analysts ask next (by app, top users, durations, tokens and cost, events per day or hour, sessions).
/// </summary>
internal static partial class UsageRules
{
    public static string? Generate(string question, string table, SqlDialect dialect, bool hasErrorFlag)
    {
        var q = " " + QuestionText.Normalize(question) + " ";
        var d = new Dialect(dialect, table, hasErrorFlag);

        if (Has(q, "daily active", "active users", " dau ", "users per day", "users each day"))
        {
            return d.Query($"SELECT {d.Day} AS date, COUNT(DISTINCT {d.User}) AS active_users", Days(q, 30), null, $"GROUP BY {d.Day}\nORDER BY date DESC");
        }

        if (Has(q, "editing", "edited", "edit sql", "edits", "sql edit"))
        {
            return d.Query("SELECT action, COUNT(*) AS count", Days(q, 7), "action IN ('sql_query', 'edit_sql', 'execute_sql')", "GROUP BY action\nORDER BY count DESC");
        }

        if (Has(q, "error", "fail", "problem"))
        {
            return d.Query("SELECT action, COUNT(*) AS error_count", Days(q, 1), d.ErrorFilter, "GROUP BY action\nORDER BY error_count DESC");
        }

        if (Has(q, "token", "cost", "spend", "model"))
        {
            return d.Query($"SELECT model, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, {d.Round("SUM(cost_usd)", 4)} AS cost_usd",
                Days(q, 30), "model IS NOT NULL", "GROUP BY model\nORDER BY cost_usd DESC");
        }

        if (Has(q, "duration", "how long", "slow", "latency", "time per"))
        {
            return d.Query($"SELECT action, COUNT(*) AS events, {d.Round("AVG(duration_ms)", 1)} AS avg_ms, {d.Round("MAX(duration_ms)", 1)} AS max_ms",
                Days(q, 7), "duration_ms IS NOT NULL", "GROUP BY action\nORDER BY avg_ms DESC");
        }

        if (Has(q, "popular action", "common action", "top action", "most used", "actions"))
        {
            return d.Query("SELECT action, COUNT(*) AS count", Days(q, 7), null, "GROUP BY action\nORDER BY count DESC");
        }

        if (Has(q, "top user", "active user", "most active", "power user", "per user", "by user", "which users") || TopUsers().IsMatch(q))
        {
            return d.Query($"SELECT {d.User} AS user_email, COUNT(*) AS events", Days(q, 30), null, $"GROUP BY {d.User}\nORDER BY events DESC\nLIMIT {TopN(q) ?? 10}");
        }

        if (Has(q, "per app", "by app", "each app", "which app", "apps"))
        {
            return d.Query("SELECT app_name, COUNT(*) AS events, COUNT(DISTINCT " + d.User + ") AS users", Days(q, 30), null, "GROUP BY app_name\nORDER BY events DESC");
        }

        if (Has(q, "session"))
        {
            return d.Query($"SELECT {d.Day} AS date, COUNT(DISTINCT session_id) AS sessions", Days(q, 30), "session_id IS NOT NULL", $"GROUP BY {d.Day}\nORDER BY date DESC");
        }

        if (Has(q, "per hour", "hourly", "each hour", "by hour"))
        {
            return d.Query($"SELECT {d.Hour} AS hour, COUNT(*) AS events", Days(q, 1), null, $"GROUP BY {d.Hour}\nORDER BY hour");
        }

        if (Has(q, "per day", "daily", "each day", "by day", "over time", "trend"))
        {
            return d.Query($"SELECT {d.Day} AS date, COUNT(*) AS events", Days(q, 30), null, $"GROUP BY {d.Day}\nORDER BY date");
        }

        if (Has(q, "how many", "number of", "count", "total"))
        {
            return d.Query("SELECT COUNT(*) AS events, COUNT(DISTINCT " + d.User + ") AS users", Days(q, 30), null, null);
        }

        if (Has(q, "latest", "recent", "last events", "show events", "list events"))
        {
            return d.Query($"SELECT {d.Timestamp}, app_name, {d.User}, action, duration_ms", Days(q, 1), null, $"ORDER BY {d.Timestamp} DESC\nLIMIT 100");
        }

        return null;
    }

    private static bool Has(string q, params string[] words) => words.Any(w => q.Contains(w.StartsWith(' ') ? w : " " + w, StringComparison.Ordinal));

    private static int Days(string q, int fallback)
    {
        if (LastDays().Match(q) is { Success: true } days)
        {
            return int.Clamp(int.Parse(days.Groups[1].Value, CultureInfo.InvariantCulture), 1, 3650);
        }

        return q switch
        {
            _ when Has(q, "today", "last day", "last 24 hours", "past day") => 1,
            _ when Has(q, "week", "7 days") => 7,
            _ when Has(q, "month", "30 days") => 30,
            _ when Has(q, "quarter") => 90,
            _ when Has(q, "year") => 365,
            _ when Has(q, "all time", "ever") => 0,
            _ => fallback,
        };
    }

    private static int? TopN(string q) => TopCount().Match(q) is { Success: true } m ? int.Clamp(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 1, 1000) : null;

    [GeneratedRegex(@" (?:last|past) (\d+) days? ")]
    private static partial Regex LastDays();

    [GeneratedRegex(@" top (\d+) ")]
    private static partial Regex TopCount();

    [GeneratedRegex(@" top \d+ users ")]
    private static partial Regex TopUsers();

    private sealed class Dialect(SqlDialect dialect, string table, bool hasErrorFlag)
    {
        public string User => dialect == SqlDialect.Databricks ? "`user`" : "\"user\"";

        public string Timestamp => dialect == SqlDialect.Databricks ? "`timestamp`" : "\"timestamp\"";

        public string Day => dialect switch
        {
            SqlDialect.Postgres => $"date({Timestamp} AT TIME ZONE 'UTC')",
            SqlDialect.Databricks => $"DATE({Timestamp})",
            _ => $"date({Timestamp})",
        };

        public string Hour => dialect switch
        {
            SqlDialect.Postgres => $"to_char(date_trunc('hour', {Timestamp} AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:00')",
            SqlDialect.Databricks => $"date_format(date_trunc('HOUR', {Timestamp}), 'yyyy-MM-dd HH:00')",
            _ => $"strftime('%Y-%m-%d %H:00', {Timestamp})",
        };

        // PostgreSQL rounds to decimal places only numerics, not double precision.
        public string Round(string expression, int places) =>
            dialect == SqlDialect.Postgres ? $"ROUND(({expression})::numeric, {places})" : $"ROUND({expression}, {places})";

        // Matches both 'sql_error' and the earlier tracker's 'sql_error: <message>'.
        // The core's error rule (UsageErrors): the stored flag, or the naming rule for rows written before it existed.
        public string ErrorFilter => hasErrorFlag ? $"COALESCE(is_error, {ErrorByName})" : ErrorByName;

        private string ErrorByName => dialect == SqlDialect.Databricks ? "action LIKE '%\\\\_error%'" : "action LIKE '%\\_error%' ESCAPE '\\'";

        private string Since(int days) => dialect switch
        {
            // Whole UTC days including today, as the tracker's stats count them.
            SqlDialect.Postgres => $"{Timestamp} >= (date(now() AT TIME ZONE 'UTC') - {days - 1})::timestamp AT TIME ZONE 'UTC'",
            SqlDialect.Databricks => $"{Timestamp} >= current_date() - INTERVAL {days - 1} DAY",
            _ => $"{Timestamp} >= date('now', '-{days - 1} days')",
        };

        public string Query(string select, int days, string? filter, string? tail)
        {
            var where = new List<string>();
            if (days > 0)
            {
                where.Add(Since(days));
            }

            if (filter is not null)
            {
                where.Add(filter);
            }

            var sql = $"{select}\nFROM {table}";
            if (where.Count > 0)
            {
                sql += "\nWHERE " + string.Join("\n  AND ", where);
            }

            return (tail is null ? sql : sql + "\n" + tail) + ";";
        }
    }
}
