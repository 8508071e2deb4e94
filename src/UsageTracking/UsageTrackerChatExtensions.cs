namespace UsageTracking;

/// <summary>
/// Chatbot events with the fields analysts group by. They take a message's length, never its text: content does not
/// belong in a usage table. Like every <c>Track*</c> call they never throw.
/// </summary>
public static class UsageTrackerChatExtensions
{
    /// <summary>A user starts a conversation: <see cref="Actions.NewConversation"/> with <c>properties.message_length</c>.</summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="user">Who.</param>
    /// <param name="conversationId">The conversation (stored as <c>session_id</c>).</param>
    /// <param name="messageLength">Characters in the user's message.</param>
    /// <param name="properties">More detail to store with it.</param>
    public static void TrackNewConversation(this IUsageTracker tracker, string? user, string conversationId, int messageLength, IReadOnlyDictionary<string, object?>? properties = null) =>
        TrackMessage(tracker, Actions.NewConversation, user, conversationId, messageLength, properties);

    /// <summary>A user replies in an existing conversation: <see cref="Actions.NewReply"/> with <c>properties.message_length</c>.</summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="user">Who.</param>
    /// <param name="conversationId">The conversation (stored as <c>session_id</c>).</param>
    /// <param name="messageLength">Characters in the user's message.</param>
    /// <param name="properties">More detail to store with it.</param>
    public static void TrackNewReply(this IUsageTracker tracker, string? user, string conversationId, int messageLength, IReadOnlyDictionary<string, object?>? properties = null) =>
        TrackMessage(tracker, Actions.NewReply, user, conversationId, messageLength, properties);

    /// <summary>A user rates a reply: <see cref="Actions.ThumbsUp"/> or <see cref="Actions.ThumbsDown"/> with <c>properties.message_id</c>.</summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="user">Who.</param>
    /// <param name="conversationId">The conversation (stored as <c>session_id</c>).</param>
    /// <param name="messageId">The rated message.</param>
    /// <param name="positive">Thumbs up (true) or down (false).</param>
    public static void TrackFeedback(this IUsageTracker tracker, string? user, string? conversationId, string? messageId, bool positive)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        tracker.Track(new UsageEvent
        {
            User = user,
            Action = positive ? Actions.ThumbsUp : Actions.ThumbsDown,
            SessionId = conversationId,
            Properties = messageId is null ? null : new Dictionary<string, object?> { ["message_id"] = messageId },
        });
    }

    /// <summary>
    /// An LLM call's tokens: <see cref="Actions.TokenUsage"/> with <c>model</c>, <c>input_tokens</c>, <c>output_tokens</c>,
    /// and in <c>properties</c> the cache-read and cache-creation input tokens and the total.
    /// </summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="user">Who caused the call.</param>
    /// <param name="model">The model.</param>
    /// <param name="inputTokens">Regular input tokens.</param>
    /// <param name="outputTokens">Generated tokens.</param>
    /// <param name="cacheReadTokens">Input tokens read from the provider's prompt cache.</param>
    /// <param name="cacheCreationTokens">Input tokens written to the provider's prompt cache.</param>
    /// <param name="sessionId">The session or conversation.</param>
    /// <param name="costUsd">The call's cost, when known.</param>
    public static void TrackTokenUsage(this IUsageTracker tracker, string? user, string model, long inputTokens, long outputTokens,
        long cacheReadTokens = 0, long cacheCreationTokens = 0, string? sessionId = null, decimal? costUsd = null)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        tracker.Track(new UsageEvent
        {
            User = user,
            Action = Actions.TokenUsage,
            SessionId = sessionId,
            Model = model,
            InputTokens = inputTokens,
            OutputTokens = outputTokens,
            CostUsd = costUsd,
            Properties = new Dictionary<string, object?>
            {
                ["cache_read_input_tokens"] = cacheReadTokens,
                ["cache_creation_input_tokens"] = cacheCreationTokens,
                ["total_tokens"] = inputTokens + outputTokens + cacheReadTokens + cacheCreationTokens,
            },
        });
    }

    private static void TrackMessage(IUsageTracker tracker, string action, string? user, string conversationId, int messageLength, IReadOnlyDictionary<string, object?>? properties)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var merged = new Dictionary<string, object?>();
        if (properties is not null)
        {
            foreach (var (key, value) in properties)
            {
                merged[key] = value;
            }
        }

        merged["message_length"] = messageLength;
        tracker.Track(new UsageEvent { User = user, Action = action, SessionId = conversationId, Properties = merged });
    }
}
