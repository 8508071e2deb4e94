using System.Globalization;
using System.Text;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>
/// Writes an <see cref="Interpretation"/> as one SELECT in the source's dialect (SQLite, PostgreSQL, Databricks SQL):
/// values as escaped literals from the value index or the glossary, never free text from the question; times as whole
/// UTC days, as the tracker's stats count them.
/// </summary>
internal sealed class SqlRenderer(SourceModel model)
{
    private readonly SqlDialect _dialect = model.Dialect;

    /// <summary>The SQL, or a sentence saying why this interpretation cannot be written in this dialect.</summary>
    public (string? Sql, string? Problem) Render(Interpretation interpretation)
    {
        ArgumentNullException.ThrowIfNull(interpretation);
        var where = interpretation.Filters.Select(Condition).ToList();
        var from = SqlNames.QuoteTable(model.Table, _dialect);

        if (interpretation.DistinctListing is { } distinct)
        {
            var c = Column(distinct);
            where.Add($"{c} IS NOT NULL");
            return (Assemble($"SELECT DISTINCT {c}", from, where, null, $"ORDER BY {c}", interpretation.Limit), null);
        }

        if (interpretation.Listing)
        {
            var columns = model.Glossary.ListColumns.Count > 0
                ? string.Join(", ", model.Glossary.ListColumns.Select(n => model.Column(n)).OfType<ModelColumn>().Select(Column))
                : "*";
            var order = interpretation.Order is { Column: { } by } o ? $"ORDER BY {Column(by)} {(o.Descending ? "DESC" : "ASC")} NULLS LAST" : null;
            return (Assemble($"SELECT {columns}", from, where, null, order, interpretation.Limit), null);
        }

        var groups = interpretation.Groups.Select(g => (Expression: Group(g), Alias: Alias(g))).ToList();
        var percentile = interpretation.Measures.FirstOrDefault(m => m.Kind is MeasureKind.Median or MeasureKind.Percentile);
        if (percentile is not null && _dialect == SqlDialect.Sqlite)
        {
            if (interpretation.Measures.Count > 1)
            {
                return (null, "The built-in generator computes a median or percentile on its own; ask for it in a question of its own.");
            }

            return (SqlitePercentile(interpretation, percentile, groups, from, where), null);
        }

        var select = new List<string>();
        select.AddRange(groups.Select(g => g.Expression == g.Alias ? g.Expression : $"{g.Expression} AS {g.Alias}"));
        var measures = interpretation.Measures.Select(m => (Expression: MeasureSql(m, grouped: groups.Count > 0), Alias: Alias(m, interpretation.Entities))).ToList();
        select.AddRange(measures.Select(m => $"{m.Expression} AS {m.Alias}"));
        var groupBy = groups.Count > 0 ? "GROUP BY " + string.Join(", ", groups.Select(g => g.Alias == g.Expression ? g.Expression : GroupByTerm(g))) : null;
        string? orderBy = null;
        if (interpretation.Order is { } ordering && measures.Count > 0)
        {
            orderBy = $"ORDER BY {measures[0].Alias} {(ordering.Descending ? "DESC" : "ASC")}" + string.Concat(groups.Select(g => ", " + g.Alias));
        }
        else if (groups.Count > 0)
        {
            orderBy = "ORDER BY " + string.Join(", ", groups.Select(g => g.Alias));
        }

        return (Assemble("SELECT " + string.Join(", ", select), from, where, groupBy, orderBy, interpretation.Limit), null);
    }

    // SQLite's GROUP BY may name the alias; PostgreSQL's too; Databricks' GROUP BY takes aliases as well.
    private static string GroupByTerm((string Expression, string Alias) group) => group.Alias;

    private static string Assemble(string select, string from, List<string> where, string? groupBy, string? orderBy, int? limit)
    {
        var sql = new StringBuilder(select).Append("\nFROM ").Append(from);
        if (where.Count > 0)
        {
            sql.Append("\nWHERE ").Append(string.Join("\n  AND ", where));
        }

        if (groupBy is not null)
        {
            sql.Append('\n').Append(groupBy);
        }

        if (orderBy is not null)
        {
            sql.Append('\n').Append(orderBy);
        }

        if (limit is { } n)
        {
            sql.Append("\nLIMIT ").Append(n.ToString(CultureInfo.InvariantCulture));
        }

        return sql.Append(';').ToString();
    }

    // ---- Columns and values ----

    private string Column(ModelColumn column) => column.Derived is { } derived
        ? DaysBetween(model.Column(derived.From)!, model.Column(derived.To)!)
        : SqlNames.Quote(column.Name, _dialect);

    private string DaysBetween(ModelColumn from, ModelColumn to) => _dialect switch
    {
        SqlDialect.Postgres => $"(CAST({Column(to)} AS date) - CAST({Column(from)} AS date))",
        SqlDialect.Databricks => $"datediff({Column(to)}, {Column(from)})",
        _ => $"(julianday({Column(to)}) - julianday({Column(from)}))",
    };

    private string Literal(string value) => _dialect == SqlDialect.Databricks
        ? $"'{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}'"
        : SqlNames.Literal(value);

    private static string Number(double value) => value.ToString("0.############", CultureInfo.InvariantCulture);

    private string Round(string expression, int places) => _dialect == SqlDialect.Postgres
        ? $"ROUND(CAST({expression} AS numeric), {places})"
        : $"ROUND({expression}, {places})";

    // ---- Filters ----

    private string Condition(Filter filter)
    {
        var c = filter.Column is { } column ? Column(column) : "";
        return filter.Op switch
        {
            FilterOp.In when filter.Values.Count == 1 => $"{c} = {Literal(filter.Values[0])}",
            FilterOp.In => $"{c} IN ({string.Join(", ", filter.Values.Select(Literal))})",
            FilterOp.NotIn when filter.Values.Count == 1 => $"({c} <> {Literal(filter.Values[0])} OR {c} IS NULL)",
            FilterOp.NotIn => $"({c} NOT IN ({string.Join(", ", filter.Values.Select(Literal))}) OR {c} IS NULL)",
            FilterOp.Greater => $"{c} > {Number(filter.Low!.Value)}",
            FilterOp.GreaterOrEqual => $"{c} >= {Number(filter.Low!.Value)}",
            FilterOp.Less => $"{c} < {Number(filter.High!.Value)}",
            FilterOp.LessOrEqual => $"{c} <= {Number(filter.High!.Value)}",
            FilterOp.Between => $"{c} BETWEEN {Number(filter.Low!.Value)} AND {Number(filter.High!.Value)}",
            FilterOp.Equal => $"{c} = {Number(filter.Low!.Value)}",
            FilterOp.IsMissing => $"{c} IS NULL",
            FilterOp.IsPresent => $"{c} IS NOT NULL",
            FilterOp.ZeroOrMissing => $"({c} = 0 OR {c} IS NULL)",
            FilterOp.DateRange => DateCondition(filter.Column!, filter.Span!),
            FilterOp.IsError => ErrorRule(),
            FilterOp.IsNotError => $"NOT ({ErrorRule()})",
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter.Op, "No SQL for this filter."),
        };
    }

    // The core's error rule (UsageErrors): the stored flag, or the naming rule for rows written before it existed.
    private string ErrorRule()
    {
        var action = SqlNames.Quote("action", _dialect);
        var byName = _dialect switch
        {
            SqlDialect.Databricks => $"{action} LIKE '%\\\\_error%'",
            SqlDialect.Postgres => $"{action} LIKE '%\\_error%'",
            _ => $"{action} LIKE '%\\_error%' ESCAPE '\\'",
        };
        return model.Column("is_error") is { } flag ? $"COALESCE({Column(flag)}, {byName})" : byName;
    }

    private string DateCondition(ModelColumn column, DateSpan span)
    {
        var c = Column(column);
        if (span.Yesterday)
        {
            return $"{c} >= {RelativeDay(1)} AND {c} < {RelativeDay(0)}";
        }

        if (span.LastDays is { } days)
        {
            return $"{c} >= {RelativeDay(days - 1)}";
        }

        if (span.ThisPeriod is { } period)
        {
            return $"{c} >= {PeriodStart(period)}";
        }

        if (span.PreviousPeriod is { } previous)
        {
            return $"{c} >= {PreviousPeriodStart(previous)} AND {c} < {PeriodStart(previous)}";
        }

        var parts = new List<string>();
        if (span.From is { } fromDay)
        {
            parts.Add($"{c} >= {DateLiteral(column, fromDay)}");
        }

        if (span.Until is { } untilDay)
        {
            parts.Add($"{c} < {DateLiteral(column, untilDay)}");
        }

        return string.Join(" AND ", parts);
    }

    private string DateLiteral(ModelColumn column, DateOnly day)
    {
        var text = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (column.IsTextDate || _dialect == SqlDialect.Sqlite)
        {
            return $"'{text}'";
        }

        return (_dialect, column.HasTime) switch
        {
            (SqlDialect.Postgres, true) => $"TIMESTAMPTZ '{text} 00:00:00+00'",
            (SqlDialect.Databricks, true) => $"TIMESTAMP '{text} 00:00:00'",
            _ => $"DATE '{text}'",
        };
    }

    // The start of the UTC day `daysAgo` days before today.
    private string RelativeDay(int daysAgo) => _dialect switch
    {
        SqlDialect.Postgres => daysAgo == 0
            ? "(date(now() AT TIME ZONE 'UTC'))::timestamp AT TIME ZONE 'UTC'"
            : $"(date(now() AT TIME ZONE 'UTC') - {daysAgo})::timestamp AT TIME ZONE 'UTC'",
        SqlDialect.Databricks => daysAgo == 0 ? "current_date()" : $"current_date() - INTERVAL {daysAgo} DAY",
        _ => daysAgo == 0 ? "date('now')" : $"date('now', '-{daysAgo} days')",
    };

    private string PeriodStart(Bucket period) => (_dialect, period) switch
    {
        (SqlDialect.Postgres, _) => $"date_trunc('{period.ToString().ToLowerInvariant()}', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
        (SqlDialect.Databricks, _) => $"date_trunc('{period.ToString().ToUpperInvariant()}', current_date())",
        (_, Bucket.Week) => "date('now', 'weekday 0', '-6 days')",
        (_, Bucket.Month) => "date('now', 'start of month')",
        (_, Bucket.Quarter) => "date('now', 'start of month', '-' || ((CAST(strftime('%m', 'now') AS INTEGER) - 1) % 3) || ' months')",
        _ => "date('now', 'start of year')",
    };

    private string PreviousPeriodStart(Bucket period) => (_dialect, period) switch
    {
        (SqlDialect.Postgres, _) => $"(date_trunc('{period.ToString().ToLowerInvariant()}', now() AT TIME ZONE 'UTC') - INTERVAL '{(period == Bucket.Quarter ? "3 months" : $"1 {period.ToString().ToLowerInvariant()}")}') AT TIME ZONE 'UTC'",
        (SqlDialect.Databricks, Bucket.Week) => "date_trunc('WEEK', current_date()) - INTERVAL 7 DAY",
        (SqlDialect.Databricks, Bucket.Quarter) => "date_trunc('QUARTER', current_date()) - INTERVAL 3 MONTH",
        (SqlDialect.Databricks, _) => $"date_trunc('{period.ToString().ToUpperInvariant()}', current_date()) - INTERVAL 1 {period.ToString().ToUpperInvariant()}",
        (_, Bucket.Week) => "date('now', 'weekday 0', '-13 days')",
        (_, Bucket.Quarter) => $"date({PeriodStart(Bucket.Quarter)}, '-3 months')",
        (_, Bucket.Month) => "date('now', 'start of month', '-1 month')",
        _ => "date('now', 'start of year', '-1 year')",
    };

    // ---- Groups ----

    private string Group(Grouping grouping)
    {
        if (grouping.Bucket is not { } bucket)
        {
            return Column(grouping.Column);
        }

        var c = Column(grouping.Column);
        if (_dialect == SqlDialect.Postgres)
        {
            var value = grouping.Column.IsTextDate ? $"CAST({c} AS timestamp)" : grouping.Column.HasTime ? $"({c} AT TIME ZONE 'UTC')" : c;
            return bucket switch
            {
                Bucket.Year => $"to_char({value}, 'YYYY')",
                Bucket.Quarter => $"to_char({value}, 'YYYY-\"Q\"Q')",
                Bucket.Month => $"to_char({value}, 'YYYY-MM')",
                Bucket.Week => $"to_char(date_trunc('week', {value}), 'YYYY-MM-DD')",
                Bucket.Day => $"to_char({value}, 'YYYY-MM-DD')",
                _ => $"to_char({value}, 'YYYY-MM-DD HH24:00')",
            };
        }

        if (_dialect == SqlDialect.Databricks)
        {
            return bucket switch
            {
                Bucket.Year => $"date_format({c}, 'yyyy')",
                Bucket.Quarter => $"concat(date_format({c}, 'yyyy'), '-Q', quarter({c}))",
                Bucket.Month => $"date_format({c}, 'yyyy-MM')",
                Bucket.Week => $"date_format(date_trunc('WEEK', {c}), 'yyyy-MM-dd')",
                Bucket.Day => $"date_format({c}, 'yyyy-MM-dd')",
                _ => $"date_format({c}, 'yyyy-MM-dd HH:00')",
            };
        }

        return bucket switch
        {
            Bucket.Year => $"strftime('%Y', {c})",
            Bucket.Quarter => $"strftime('%Y', {c}) || '-Q' || ((CAST(strftime('%m', {c}) AS INTEGER) + 2) / 3)",
            Bucket.Month => $"strftime('%Y-%m', {c})",
            Bucket.Week => $"date({c}, 'weekday 0', '-6 days')",
            Bucket.Day => $"date({c})",
            _ => $"strftime('%Y-%m-%d %H:00', {c})",
        };
    }

    private string Alias(Grouping grouping)
    {
        if (grouping.Bucket is not { } bucket)
        {
            return Column(grouping.Column);
        }

        var stem = grouping.Column.Name.ToLowerInvariant() switch
        {
            "timestamp" or "time" or "date" or "created_at" => "",
            var name when name.EndsWith("_date", StringComparison.Ordinal) => name[..^5],
            var name when name.EndsWith("_at", StringComparison.Ordinal) => name[..^3],
            var name => name,
        };
        var word = bucket.ToString().ToLowerInvariant();
        return SqlNames.Quote(stem.Length == 0 ? word : $"{stem}_{word}", _dialect);
    }

    // ---- Measures ----

    private string MeasureSql(Measure measure, bool grouped)
    {
        var c = measure.Column is { } column ? Column(column) : "*";
        return measure.Kind switch
        {
            MeasureKind.Count => "COUNT(*)",
            MeasureKind.CountDistinct => $"COUNT(DISTINCT {c})",
            MeasureKind.Sum => $"SUM({c})",
            MeasureKind.Average => Round($"AVG({c})", 1),
            MeasureKind.Minimum => $"MIN({c})",
            MeasureKind.Maximum => $"MAX({c})",
            MeasureKind.Median or MeasureKind.Percentile when _dialect == SqlDialect.Postgres =>
                Round($"percentile_cont({Number((measure.Percentile ?? 50) / 100)}) WITHIN GROUP (ORDER BY {c})", 1),
            MeasureKind.Median or MeasureKind.Percentile => Round($"percentile({c}, {Number((measure.Percentile ?? 50) / 100)})", 1),
            MeasureKind.Share when measure.Condition is { Count: > 0 } condition =>
                Round($"100.0 * SUM(CASE WHEN {string.Join(" AND ", condition.Select(Condition))} THEN 1 ELSE 0 END) / COUNT(*)", 1),
            MeasureKind.Share when grouped => Round("100.0 * COUNT(*) / SUM(COUNT(*)) OVER ()", 1),
            _ => throw new ArgumentOutOfRangeException(nameof(measure), measure.Kind, "No SQL for this measure."),
        };
    }

    private string Alias(Measure measure, string entities)
    {
        var name = measure.Column is { } column ? (column.Derived is not null ? column.Name : column.Name.ToLowerInvariant()) : "";
        var alias = measure.Kind switch
        {
            MeasureKind.Count => Identifier(entities),
            MeasureKind.CountDistinct => Plural(name.EndsWith("_id", StringComparison.Ordinal) ? name[..^3] : name),
            MeasureKind.Sum => "total_" + name,
            MeasureKind.Average => "avg_" + name,
            MeasureKind.Minimum => "min_" + name,
            MeasureKind.Maximum => "max_" + name,
            MeasureKind.Median => "median_" + name,
            MeasureKind.Percentile => $"p{Number(measure.Percentile ?? 50).Replace('.', '_')}_{name}",
            MeasureKind.Share => "percent",
            _ => "value",
        };
        return SqlNames.Quote(alias, _dialect);
    }

    private static string Identifier(string words) => string.Join("_", Words.Split(words).Select(w => w.Text));

    private static string Plural(string name) => name switch
    {
        _ when name.EndsWith('y') && name.Length > 1 && !"aeiou".Contains(name[^2], StringComparison.Ordinal) => name[..^1] + "ies",
        _ when name.EndsWith('s') || name.EndsWith('x') => name + "es",
        _ => name + "s",
    };

    // SQLite has no percentile function: rows are numbered within each group and the value interpolated between the two
    // nearest ranks, as PostgreSQL's percentile_cont does.
    private string SqlitePercentile(Interpretation interpretation, Measure measure, List<(string Expression, string Alias)> groups, string from, List<string> where)
    {
        var c = Column(measure.Column!);
        var p = Number((measure.Percentile ?? 50) / 100);
        var partition = groups.Count > 0 ? "PARTITION BY " + string.Join(", ", groups.Select(g => g.Expression)) + " " : "";
        var keys = string.Concat(groups.Select(g => $"{g.Expression} AS {g.Alias}, "));
        var conditions = where.Append($"{c} IS NOT NULL").ToList();
        var inner = $"SELECT {keys}{c} AS v, ROW_NUMBER() OVER ({partition}ORDER BY {c}) AS rn, COUNT(*) OVER ({(partition.Length > 0 ? partition.TrimEnd() : "")}) AS n\n  FROM {from}\n  WHERE {string.Join("\n    AND ", conditions)}";
        var ranked = $"SELECT *, 1 + {p} * (n - 1) AS pos FROM ({inner})";
        var alias = Alias(measure, interpretation.Entities);
        var value = "MAX(CASE WHEN rn = CAST(pos AS INTEGER) THEN v END) + (MAX(pos) - CAST(MAX(pos) AS INTEGER)) * "
            + "(COALESCE(MAX(CASE WHEN rn = CAST(pos AS INTEGER) + 1 THEN v END), MAX(CASE WHEN rn = CAST(pos AS INTEGER) THEN v END)) - MAX(CASE WHEN rn = CAST(pos AS INTEGER) THEN v END))";
        var select = "SELECT " + string.Concat(groups.Select(g => g.Alias + ", ")) + $"ROUND({value}, 1) AS {alias}";
        var sql = new StringBuilder(select).Append($"\nFROM ({ranked})");
        if (groups.Count > 0)
        {
            var keysList = string.Join(", ", groups.Select(g => g.Alias));
            sql.Append($"\nGROUP BY {keysList}");
            sql.Append(interpretation.Order is { } o ? $"\nORDER BY {alias} {(o.Descending ? "DESC" : "ASC")}, {keysList}" : $"\nORDER BY {keysList}");
        }

        if (interpretation.Limit is { } limit)
        {
            sql.Append("\nLIMIT ").Append(limit.ToString(CultureInfo.InvariantCulture));
        }

        return sql.Append(';').ToString();
    }
}
