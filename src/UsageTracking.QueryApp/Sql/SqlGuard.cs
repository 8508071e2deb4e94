using UsageTracking.Sql;
namespace UsageTracking.QueryApp.Sql;

/// <summary>The outcome of checking a query: either runnable, or refused with one sentence saying why.</summary>
public sealed record SqlCheck(bool IsAllowed, string? Reason, string Sql)
{
    internal static SqlCheck Refuse(string sql, string reason) => new(false, reason, sql);
}

/// <summary>
/// Lets through exactly one read-only query: a single <c>SELECT</c> or <c>WITH … SELECT</c>. Everything else —
/// DDL, DML, PRAGMA, ATTACH, transaction control, several statements, a statement behind a comment,
/// unbound parameters, and functions that reach outside the database — is refused with a clear reason.
/// This is the first of two locks: the data sources also run queries on read-only connections.
/// </summary>
public static class SqlGuard
{
    // Only one statement may run and it must start with SELECT/WITH, so statement-starting words matter only
    // where a SELECT can hide a write: data-modifying CTEs (PostgreSQL), SELECT … INTO, FOR UPDATE. The rest
    // are here so the refusal names the offending word instead of a syntax error from the engine.
    private static readonly HashSet<string> ForbiddenWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "INTO", "DROP", "CREATE", "ALTER", "TRUNCATE",
        "ATTACH", "DETACH", "PRAGMA", "VACUUM", "REINDEX", "GRANT", "REVOKE", "COPY", "CALL", "EXEC", "EXECUTE",
        "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
    };

    // Words that are also ordinary functions: refused as statements, allowed when called, e.g. replace(title, 'a', 'b').
    private static readonly HashSet<string> AlsoFunctions = new(StringComparer.OrdinalIgnoreCase) { "REPLACE", "LEFT", "RIGHT" };

    private static readonly HashSet<string> ForbiddenFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "sqlite_compileoption_get",
        "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "lo_import", "lo_export", "lo_get",
        "pg_sleep", "pg_sleep_for", "pg_sleep_until", "dblink", "dblink_exec", "pg_terminate_backend",
        "pg_cancel_backend", "set_config", "pg_reload_conf", "pg_rotate_logfile", "pg_advisory_lock",
        "pg_advisory_xact_lock", "txid_current", "pg_logical_emit_message", "query_to_xml", "reflect", "java_method",
    };

    /// <summary>Checks <paramref name="sql"/>; the returned <see cref="SqlCheck.Sql"/> has a trailing semicolon removed.</summary>
    public static SqlCheck Check(string? sql, SqlDialect dialect)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            return SqlCheck.Refuse("", "Enter a SQL query to run.");
        }

        if (sql.Contains('\0', StringComparison.Ordinal))
        {
            return SqlCheck.Refuse(sql, "The query contains a NUL character.");
        }

        if (!SqlTokenizer.TryTokenize(sql, dialect, out var tokens, out var error))
        {
            return SqlCheck.Refuse(sql, error!);
        }

        if (tokens.Count == 0)
        {
            return SqlCheck.Refuse(sql, "The query is only comments; enter a SELECT statement.");
        }

        var end = tokens.Count;
        while (end > 0 && tokens[end - 1].Kind == SqlTokenKind.Semicolon)
        {
            end--;
        }

        if (end < tokens.Count - 1)
        {
            return SqlCheck.Refuse(sql, "The query ends with more than one semicolon.");
        }

        for (var i = 0; i < end; i++)
        {
            if (tokens[i].Kind == SqlTokenKind.Semicolon)
            {
                return SqlCheck.Refuse(sql, "Only one statement can run at a time; remove everything after the first semicolon.");
            }
        }

        var first = 0;
        while (first < end && tokens[first].Text == "(")
        {
            first++;
        }

        if (first == end || !(tokens[first].IsWord("SELECT") || tokens[first].IsWord("WITH") || tokens[first].IsWord("VALUES")))
        {
            var word = first < end ? tokens[first].Text.ToUpperInvariant() : "nothing";
            return SqlCheck.Refuse(sql, $"Only read-only SELECT or WITH queries can run; this one starts with {word}.");
        }

        for (var i = first; i < end; i++)
        {
            var token = tokens[i];
            var calledAsFunction = i + 1 < end && tokens[i + 1].Text == "(";
            var qualified = i > 0 && tokens[i - 1].Text == ".";
            if (token.Kind == SqlTokenKind.Parameter)
            {
                return SqlCheck.Refuse(sql, $"The query has a parameter ({token.Text}); replace it with a value.");
            }

            if (token.Kind != SqlTokenKind.Word || qualified)
            {
                continue;
            }

            if (calledAsFunction && ForbiddenFunctions.Contains(token.Text))
            {
                return SqlCheck.Refuse(sql, $"The function {token.Text} is not allowed in queries.");
            }

            if (ForbiddenWords.Contains(token.Text) || (AlsoFunctions.Contains(token.Text) && !calledAsFunction && IsStatementStart(tokens, i)))
            {
                return SqlCheck.Refuse(sql, $"Only read-only queries can run; {token.Text.ToUpperInvariant()} is not allowed.");
            }
        }

        var text = sql[..(tokens[end - 1].Start + tokens[end - 1].Length)];
        return new SqlCheck(true, null, text.Trim());
    }

    private static bool IsStatementStart(List<SqlToken> tokens, int index) =>
        string.Equals(tokens[index].Text, "REPLACE", StringComparison.OrdinalIgnoreCase) && (index == 0 || tokens[index - 1].IsWord("OR"));
}
