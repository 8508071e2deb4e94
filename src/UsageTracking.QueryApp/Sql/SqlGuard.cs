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
/// unbound parameters, functions that reach outside the database, and tables that describe the host — is refused with a
/// clear reason. Names are compared as the engine resolves them, whatever their quoting.
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
        "fsdir", "zipfile", "sqlar_uncompress", "current_setting", "pg_ls_waldir", "pg_ls_logdir", "pg_ls_tmpdir",
        "pg_ls_archive_statusdir", "pg_current_logfile", "pg_file_write", "pg_file_rename", "pg_file_unlink", "inet_server_addr",
        "inet_server_port",
    };

    // SQLite's PRAGMA table-valued functions (pragma_database_list shows the server's absolute paths): only these, which
    // describe tables and nothing about the host, may be read.
    private static readonly HashSet<string> AllowedPragmas = new(StringComparer.OrdinalIgnoreCase)
    {
        "pragma_table_info", "pragma_table_xinfo", "pragma_index_list", "pragma_index_info", "pragma_index_xinfo", "pragma_foreign_key_list",
    };

    // PostgreSQL views that show the server's settings, files, roles or other sessions' queries.
    private static readonly HashSet<string> HostRelations = new(StringComparer.OrdinalIgnoreCase)
    {
        "pg_settings", "pg_file_settings", "pg_hba_file_rules", "pg_ident_file_mappings", "pg_config", "pg_stat_activity",
        "pg_shadow", "pg_authid", "pg_user_mappings", "pg_stat_ssl", "pg_stat_gssapi",
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

            if (token.Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                continue;
            }

            // Names are checked as the engine resolves them: in any quoting style, and schema-qualified or not.
            if (calledAsFunction && ForbiddenFunctions.Contains(token.Text))
            {
                return SqlCheck.Refuse(sql, $"The function {token.Text} is not allowed in queries.");
            }

            if (dialect == SqlDialect.Sqlite && token.Text.StartsWith("pragma_", StringComparison.OrdinalIgnoreCase) && !AllowedPragmas.Contains(token.Text))
            {
                return SqlCheck.Refuse(sql, $"{token.Text} is not allowed in queries; of the pragma functions only {string.Join(", ", AllowedPragmas.Order(StringComparer.Ordinal))} can be read.");
            }

            if (dialect == SqlDialect.Postgres && HostRelations.Contains(token.Text))
            {
                return SqlCheck.Refuse(sql, $"{token.Text} describes the server, not the data, and is not allowed in queries.");
            }

            if (token.Kind != SqlTokenKind.Word || qualified)
            {
                continue;
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
