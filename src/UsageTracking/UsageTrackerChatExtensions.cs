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
    /// <param name="extras">What else the provider reported: the cache writes by lifetime, the service tier, server tools used, the time to first token.</param>
    /// <param name="durationMs">How long the call took (the event's duration): the dashboard's per-model latency and tokens per second.</param>
    public static void TrackTokenUsage(this IUsageTracker tracker, string? user, string model, long inputTokens, long outputTokens,
        long cacheReadTokens = 0, long cacheCreationTokens = 0, string? sessionId = null, decimal? costUsd = null, TokenUsageExtras? extras = null,
        double? durationMs = null)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var properties = new Dictionary<string, object?>
        {
            ["cache_read_input_tokens"] = cacheReadTokens,
            ["cache_creation_input_tokens"] = cacheCreationTokens,
            ["total_tokens"] = inputTokens + outputTokens + cacheReadTokens + cacheCreationTokens,
        };
        if (extras is { CacheCreation5mTokens: not null } or { CacheCreation1hTokens: not null })
        {
            properties["cache_creation"] = new Dictionary<string, object?>
            {
                ["ephemeral_5m_input_tokens"] = extras.CacheCreation5mTokens ?? 0,
                ["ephemeral_1h_input_tokens"] = extras.CacheCreation1hTokens ?? 0,
            };
        }

        if (extras?.ServiceTier is { } tier)
        {
            properties["service_tier"] = tier;
        }

        if (extras?.WebSearchRequests is { } searches)
        {
            properties["server_tool_use"] = new Dictionary<string, object?> { ["web_search_requests"] = searches };
        }

        if (extras?.TimeToFirstTokenMs is { } ttft)
        {
            properties["ttft_ms"] = ttft;
        }

        tracker.Track(new UsageEvent
        {
            User = user,
            Action = Actions.TokenUsage,
            SessionId = sessionId,
            Model = model,
            InputTokens = inputTokens,
            OutputTokens = outputTokens,
            CostUsd = costUsd,
            DurationMs = durationMs,
            Properties = properties,
        });
    }

    /// <summary>The property a unit cost's unit is stored under: <c>properties.unit</c>.</summary>
    public const string UnitKey = "unit";

    /// <summary>The property a unit cost's quantity is stored under: <c>properties.quantity</c>.</summary>
    public const string QuantityKey = "quantity";

    /// <summary>
    /// A cost that is not model tokens — SMS segments sent, minutes of a voice call — as <paramref name="action"/> with
    /// <c>properties.unit</c> and <c>properties.quantity</c>; without <paramref name="costUsd"/> it is priced from
    /// <see cref="UsageTrackingOptions.UnitPrices"/>, so cost panels and reports count it with the model costs.
    /// </summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="user">Who caused it.</param>
    /// <param name="action">What happened (<c>sms_sent</c>).</param>
    /// <param name="unit">What is counted (<c>sms_segment</c>).</param>
    /// <param name="quantity">How many.</param>
    /// <param name="sessionId">The session or conversation.</param>
    /// <param name="costUsd">The cost, when the caller knows it.</param>
    public static void TrackUnitCost(this IUsageTracker tracker, string? user, string action, string unit, decimal quantity, string? sessionId = null, decimal? costUsd = null)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        tracker.Track(new UsageEvent
        {
            User = user,
            Action = action,
            SessionId = sessionId,
            CostUsd = costUsd,
            Properties = new Dictionary<string, object?> { [UnitKey] = unit, [QuantityKey] = quantity },
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

/// <summary>
/// What a model provider reports beyond the token counts (Anthropic's usage block, for example), stored with a
/// <c>token_usage</c> event under the earlier bot's keys: <c>cache_creation</c>, <c>service_tier</c>, <c>server_tool_use</c>.
/// </summary>
/// <param name="CacheCreation5mTokens">Input tokens written to a 5-minute cache entry.</param>
/// <param name="CacheCreation1hTokens">Input tokens written to a 1-hour cache entry.</param>
/// <param name="ServiceTier">The tier the call ran in (standard, priority, batch).</param>
/// <param name="WebSearchRequests">Web searches the provider ran for the call.</param>
public sealed record TokenUsageExtras(long? CacheCreation5mTokens = null, long? CacheCreation1hTokens = null, string? ServiceTier = null, long? WebSearchRequests = null)
{
    /// <summary>Milliseconds from the request to the first streamed token (<c>properties.ttft_ms</c>).</summary>
    public double? TimeToFirstTokenMs { get; init; }
}
