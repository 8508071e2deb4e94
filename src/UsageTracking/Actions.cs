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

    // The chatbot's onboarding, setup and engagement events (the csbot catalogue), tracked with ChatEvents' helpers.

    /// <summary>A user joins a channel the bot is in: <c>user_joined_channel</c>.</summary>
    public const string UserJoinedChannel = "user_joined_channel";
    /// <summary>An organization signs up: <c>organization_created</c>.</summary>
    public const string OrganizationCreated = "organization_created";
    /// <summary>The organization's governance channel is created: <c>governance_channel_created</c>.</summary>
    public const string GovernanceChannelCreated = "governance_channel_created";
    /// <summary>The organization's first dataset finishes syncing: <c>first_dataset_sync</c>.</summary>
    public const string FirstDatasetSync = "first_dataset_sync";
    /// <summary>A channel beyond the first is set up: <c>additional_channel_created</c>.</summary>
    public const string AdditionalChannelCreated = "additional_channel_created";
    /// <summary>An admin runs a bot command: <c>admin_command_used</c>.</summary>
    public const string AdminCommandUsed = "admin_command_used";
    /// <summary>A user opens the connection management interface: <c>connection_management_accessed</c>.</summary>
    public const string ConnectionManagementAccessed = "connection_management_accessed";
    /// <summary>The organization's context store repository is created: <c>contextstore_repo_created</c>.</summary>
    public const string ContextStoreRepoCreated = "contextstore_repo_created";
    /// <summary>A Slack Connect invite is sent: <c>slack_connect_invite_sent</c>.</summary>
    public const string SlackConnectInviteSent = "slack_connect_invite_sent";
    /// <summary>A user's first query that returns an answer: <c>first_successful_query</c>.</summary>
    public const string FirstSuccessfulQuery = "first_successful_query";
    /// <summary>The bot welcomes a user: <c>welcome_message_sent</c>.</summary>
    public const string WelcomeMessageSent = "welcome_message_sent";
    /// <summary>The bot welcomes a user to the governance channel: <c>governance_welcome_sent</c>.</summary>
    public const string GovernanceWelcomeSent = "governance_welcome_sent";
    /// <summary>A data connection is set up successfully: <c>connection_setup_succeeded</c>.</summary>
    public const string ConnectionSetupSucceeded = "connection_setup_succeeded";
    /// <summary>A user invites a coworker: <c>coworker_invited</c>.</summary>
    public const string CoworkerInvited = "coworker_invited";
    /// <summary>A user interacts with a Slack modal: <c>slack_modal_interaction</c>.</summary>
    public const string SlackModalInteraction = "slack_modal_interaction";

    /// <summary>Every constant above, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        AppStart, AppError, GenerateQuestion, SqlQuery, ExecuteSql, EditSql, DownloadResults,
        GenerateChart, GenerateSummary, ViewRandomQuestions, SelectColumns, DatabaseError,
        LlmError, SqlError, ChartError, NewConversation, NewReply, TokenUsage, ThumbsUp, ThumbsDown,
        ShareExample, TeachTerm,
        UserJoinedChannel, OrganizationCreated, GovernanceChannelCreated, FirstDatasetSync, AdditionalChannelCreated,
        AdminCommandUsed, ConnectionManagementAccessed, ContextStoreRepoCreated, SlackConnectInviteSent, FirstSuccessfulQuery,
        WelcomeMessageSent, GovernanceWelcomeSent, ConnectionSetupSucceeded, CoworkerInvited, SlackModalInteraction,
    ];
}
