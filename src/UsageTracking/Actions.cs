namespace UsageTracking;

/// <summary>
/// The action names every app tracks with, as stored in the <c>action</c> column.
/// Use these constants rather than literals so analyses and dashboards group consistently.
/// </summary>
public static class Actions
{
    /// <summary>A user starts (or opens a session of) the app: <c>app_start</c>.</summary>
    public const string AppStart = "app_start";
    /// <summary>A general application error: <c>app_error</c>.</summary>
    public const string AppError = "app_error";
    /// <summary>A user submits a question: <c>generate_question</c>.</summary>
    public const string GenerateQuestion = "generate_question";
    /// <summary>SQL is generated from a question: <c>sql_query</c>.</summary>
    public const string SqlQuery = "sql_query";
    /// <summary>A SQL query is executed: <c>execute_sql</c>.</summary>
    public const string ExecuteSql = "execute_sql";
    /// <summary>A user edits the generated SQL: <c>edit_sql</c>.</summary>
    public const string EditSql = "edit_sql";
    /// <summary>A user downloads results: <c>download_results</c>.</summary>
    public const string DownloadResults = "download_results";
    /// <summary>A chart is generated: <c>generate_chart</c>.</summary>
    public const string GenerateChart = "generate_chart";
    /// <summary>A summary is generated: <c>generate_summary</c>.</summary>
    public const string GenerateSummary = "generate_summary";
    /// <summary>A user looks at suggested questions: <c>view_random_questions</c>.</summary>
    public const string ViewRandomQuestions = "view_random_questions";
    /// <summary>A user chooses columns to include: <c>select_columns</c>.</summary>
    public const string SelectColumns = "select_columns";
    /// <summary>A database operation failed: <c>database_error</c>.</summary>
    public const string DatabaseError = "database_error";
    /// <summary>An LLM call failed: <c>llm_error</c>.</summary>
    public const string LlmError = "llm_error";
    /// <summary>SQL validation or execution failed: <c>sql_error</c>.</summary>
    public const string SqlError = "sql_error";
    /// <summary>Chart generation failed: <c>chart_error</c>.</summary>
    public const string ChartError = "chart_error";
    /// <summary>A chatbot conversation starts: <c>new_conversation</c>.</summary>
    public const string NewConversation = "new_conversation";
    /// <summary>A chatbot replies: <c>new_reply</c>.</summary>
    public const string NewReply = "new_reply";
    /// <summary>LLM tokens were used: <c>token_usage</c>.</summary>
    public const string TokenUsage = "token_usage";
    /// <summary>A user rates a result or reply positively: <c>thumbs_up</c>.</summary>
    public const string ThumbsUp = "thumbs_up";
    /// <summary>A user rates a result or reply negatively: <c>thumbs_down</c>.</summary>
    public const string ThumbsDown = "thumbs_down";
    /// <summary>An admin shares a user's saved question → SQL example with everyone: <c>share_example</c>.</summary>
    public const string ShareExample = "share_example";
    /// <summary>A user teaches the query app's glossary a term (or an admin shares one): <c>teach_term</c>.</summary>
    public const string TeachTerm = "teach_term";

    /// <summary>Every constant above, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        AppStart, AppError, GenerateQuestion, SqlQuery, ExecuteSql, EditSql, DownloadResults,
        GenerateChart, GenerateSummary, ViewRandomQuestions, SelectColumns, DatabaseError,
        LlmError, SqlError, ChartError, NewConversation, NewReply, TokenUsage, ThumbsUp, ThumbsDown,
        ShareExample, TeachTerm,
    ];
}
