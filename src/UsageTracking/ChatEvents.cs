namespace UsageTracking;

/// <summary>
/// The property keys chat events carry, the same for every chatbot so analyses can group by them: the channel, the thread
/// and the message an event belongs to (Slack's channel id, <c>thread_ts</c> and <c>message_ts</c>, or any chat's own ids).
/// </summary>
public static class ChatProperties
{
    /// <summary>The channel (or room) the event happened in: <c>properties.channel_id</c>.</summary>
    public const string ChannelId = "channel_id";

    /// <summary>The thread: <c>properties.thread_id</c>.</summary>
    public const string ThreadId = "thread_id";

    /// <summary>The message: <c>properties.message_id</c>.</summary>
    public const string MessageId = "message_id";
}

/// <summary>A step of a chatbot's onboarding, in the order an organization usually takes them.</summary>
public enum OnboardingStep
{
    /// <summary><see cref="Actions.OrganizationCreated"/>.</summary>
    OrganizationCreated,

    /// <summary><see cref="Actions.GovernanceChannelCreated"/>.</summary>
    GovernanceChannelCreated,

    /// <summary><see cref="Actions.ConnectionSetupSucceeded"/>.</summary>
    ConnectionSetupSucceeded,

    /// <summary><see cref="Actions.FirstDatasetSync"/>.</summary>
    FirstDatasetSync,

    /// <summary><see cref="Actions.ContextStoreRepoCreated"/>.</summary>
    ContextStoreRepoCreated,

    /// <summary><see cref="Actions.GovernanceWelcomeSent"/>.</summary>
    GovernanceWelcomeSent,

    /// <summary><see cref="Actions.WelcomeMessageSent"/>.</summary>
    WelcomeMessageSent,

    /// <summary><see cref="Actions.AdditionalChannelCreated"/>.</summary>
    AdditionalChannelCreated,

    /// <summary><see cref="Actions.SlackConnectInviteSent"/>.</summary>
    SlackConnectInviteSent,

    /// <summary><see cref="Actions.CoworkerInvited"/>.</summary>
    CoworkerInvited,

    /// <summary><see cref="Actions.FirstSuccessfulQuery"/>.</summary>
    FirstSuccessfulQuery,
}

/// <summary>
/// Chatbot onboarding, setup and engagement events with their channel, thread and message as first-class properties
/// (<see cref="ChatProperties"/>). Like every <c>Track*</c> call they never throw.
/// </summary>
public static class ChatEvents
{
    /// <summary>The action an onboarding step is stored as.</summary>
    public static string ActionOf(OnboardingStep step) => step switch
    {
        OnboardingStep.OrganizationCreated => Actions.OrganizationCreated,
        OnboardingStep.GovernanceChannelCreated => Actions.GovernanceChannelCreated,
        OnboardingStep.ConnectionSetupSucceeded => Actions.ConnectionSetupSucceeded,
        OnboardingStep.FirstDatasetSync => Actions.FirstDatasetSync,
        OnboardingStep.ContextStoreRepoCreated => Actions.ContextStoreRepoCreated,
        OnboardingStep.GovernanceWelcomeSent => Actions.GovernanceWelcomeSent,
        OnboardingStep.WelcomeMessageSent => Actions.WelcomeMessageSent,
        OnboardingStep.AdditionalChannelCreated => Actions.AdditionalChannelCreated,
        OnboardingStep.SlackConnectInviteSent => Actions.SlackConnectInviteSent,
        OnboardingStep.CoworkerInvited => Actions.CoworkerInvited,
        OnboardingStep.FirstSuccessfulQuery => Actions.FirstSuccessfulQuery,
        _ => $"onboarding_{step.ToString().ToLowerInvariant()}",
    };

    /// <summary>A user joins a channel the bot is in: <see cref="Actions.UserJoinedChannel"/>.</summary>
    public static void TrackChannelJoined(this IUsageTracker tracker, string? user, string? channelId) =>
        tracker.TrackChatEvent(Actions.UserJoinedChannel, user, channelId);

    /// <summary>An onboarding step of the user's organization, in <paramref name="channelId"/> when it has one.</summary>
    public static void TrackOnboardingStep(this IUsageTracker tracker, OnboardingStep step, string? user = null, string? channelId = null,
        IReadOnlyDictionary<string, object?>? properties = null) =>
        tracker.TrackChatEvent(ActionOf(step), user, channelId, properties: properties);

    /// <summary>An admin runs a bot command: <see cref="Actions.AdminCommandUsed"/> with <c>properties.command</c> (its name, not its arguments).</summary>
    public static void TrackAdminCommand(this IUsageTracker tracker, string? user, string? channelId, string command) =>
        tracker.TrackChatEvent(Actions.AdminCommandUsed, user, channelId, properties: new Dictionary<string, object?> { ["command"] = command });

    /// <summary>A user interacts with a modal: <see cref="Actions.SlackModalInteraction"/> with <c>properties.modal</c> and <c>properties.interaction</c>.</summary>
    public static void TrackModalInteraction(this IUsageTracker tracker, string? user, string? channelId, string modal, string interaction) =>
        tracker.TrackChatEvent(Actions.SlackModalInteraction, user, channelId,
            properties: new Dictionary<string, object?> { ["modal"] = modal, ["interaction"] = interaction });

    /// <summary>
    /// Any chat event with its channel, thread and message under the <see cref="ChatProperties"/> keys; the
    /// <paramref name="conversationId"/> is stored as <c>session_id</c>, so conversation analyses group by it.
    /// </summary>
    public static void TrackChatEvent(this IUsageTracker tracker, string action, string? user, string? channelId = null, string? threadId = null,
        string? messageId = null, string? conversationId = null, IReadOnlyDictionary<string, object?>? properties = null)
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

        void Put(string key, string? value)
        {
            if (value is not null)
            {
                merged[key] = value;
            }
        }

        Put(ChatProperties.ChannelId, channelId);
        Put(ChatProperties.ThreadId, threadId);
        Put(ChatProperties.MessageId, messageId);
        tracker.Track(new UsageEvent { User = user, Action = action, SessionId = conversationId ?? threadId, Properties = merged.Count == 0 ? null : merged });
    }
}
