using UsageTracking.Sql;
namespace UsageTracking.QueryApp.Sql;

internal enum SqlTokenKind
{
    Word,
    QuotedIdentifier,
    String,
    Number,
    Symbol,
    Semicolon,
    Parameter,
}

internal readonly record struct SqlToken(SqlTokenKind Kind, int Start, int Length, string Text)
{
    public bool IsWord(string word) => Kind == SqlTokenKind.Word && string.Equals(Text, word, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Splits SQL into tokens, dropping comments and whitespace, the way the engines themselves do: strings
/// ('' doubled, and backslash escapes in Databricks), quoted identifiers ("", `` and SQLite's [ ]),
/// line and block comments. Anything it cannot close is reported rather than guessed.
/// </summary>
internal static class SqlTokenizer
{
    public static bool TryTokenize(string sql, SqlDialect dialect, out List<SqlToken> tokens, out string? error)
    {
        tokens = [];
        error = null;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && Peek(sql, i + 1) == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && Peek(sql, i + 1) == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    error = "The query has a comment that is never closed.";
                    return false;
                }

                i = end + 2;
            }
            else if (c == '\'')
            {
                if (!TryQuoted(sql, ref i, '\'', dialect == SqlDialect.Databricks, out var start))
                {
                    error = "The query has a string that is never closed.";
                    return false;
                }

                tokens.Add(new SqlToken(SqlTokenKind.String, start, i - start, sql[start..i]));
            }
            else if (c == '"' && dialect == SqlDialect.Databricks)
            {
                if (!TryQuoted(sql, ref i, '"', backslashEscapes: true, out var start))
                {
                    error = "The query has a string that is never closed.";
                    return false;
                }

                tokens.Add(new SqlToken(SqlTokenKind.String, start, i - start, sql[start..i]));
            }
            else if (c is '"' or '`' || (c == '[' && dialect == SqlDialect.Sqlite))
            {
                var close = c == '[' ? ']' : c;
                if (!TryQuoted(sql, ref i, close, backslashEscapes: false, out var start))
                {
                    error = "The query has a quoted name that is never closed.";
                    return false;
                }

                // The name the engine sees: "a""b" is a"b.
                var name = sql[(start + 1)..(i - 1)];
                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, start, i - start, close == ']' ? name : name.Replace(new string(close, 2), close.ToString(), StringComparison.Ordinal)));
            }
            else if (c == '$' && dialect == SqlDialect.Postgres && (Peek(sql, i + 1) == '$' || char.IsLetter(Peek(sql, i + 1))) && !IsPositional(sql, i))
            {
                error = "Dollar-quoted strings are not allowed; use single quotes.";
                return false;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '$'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Word, start, i - start, sql[start..i]));
            }
            else if (char.IsDigit(c) || (c == '.' && char.IsDigit(Peek(sql, i + 1))))
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '.'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Number, start, i - start, sql[start..i]));
            }
            else if (c == ':' && Peek(sql, i + 1) == ':')
            {
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, i, 2, "::"));
                i += 2;
            }
            else if (c is ':' or '@' or '?' or '$' && (c == '?' || char.IsLetterOrDigit(Peek(sql, i + 1))))
            {
                var start = i++;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Parameter, start, i - start, sql[start..i]));
            }
            else if (c == ';')
            {
                tokens.Add(new SqlToken(SqlTokenKind.Semicolon, i, 1, ";"));
                i++;
            }
            else
            {
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, i, 1, c.ToString()));
                i++;
            }
        }

        return true;
    }

    private static char Peek(string sql, int index) => index < sql.Length ? sql[index] : '\0';

    private static bool IsPositional(string sql, int index) => char.IsDigit(Peek(sql, index + 1));

    private static bool TryQuoted(string sql, ref int i, char close, bool backslashEscapes, out int start)
    {
        start = i;
        i++;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (backslashEscapes && c == '\\')
            {
                i += 2;
                continue;
            }

            if (c == close)
            {
                if (Peek(sql, i + 1) == close && close != ']')
                {
                    i += 2;
                    continue;
                }

                i++;
                return true;
            }

            i++;
        }

        return false;
    }
}
