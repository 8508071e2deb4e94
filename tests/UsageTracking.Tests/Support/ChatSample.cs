namespace UsageTracking.Tests.Support;

/// <summary>A few chatbot conversations written straight to a store, so the chat analyses have rows to find.</summary>
public static class ChatSample
{
    public static IReadOnlyList<UsageEvent> Events(string app)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        UsageEvent Message(string action, string user, string conversation, int minutes, int length, bool admin) => new()
        {
            EventId = Guid.NewGuid().ToString("N"), Timestamp = start.AddMinutes(minutes), AppName = app, User = user, Action = action, SessionId = conversation,
            PropertiesJson = $$$"""{"message_length":{{{length}}},"user_info":{"timezone":"Europe/Paris"},"user_metadata":{"is_admin":{{{(admin ? "true" : "false")}}},"is_owner":false}}""",
        };

        return
        [
            Message(Actions.NewConversation, "ann@example.com", "conv-1", 0, 30, admin: true),
            Message(Actions.NewReply, "ann@example.com", "conv-1", 4, 120, admin: true),
            Message(Actions.NewConversation, "ben@example.com", "conv-2", 10, 400, admin: false),
            new() { EventId = Guid.NewGuid().ToString("N"), Timestamp = start.AddMinutes(11), AppName = app, User = "ben@example.com", Action = Actions.ThumbsUp, SessionId = "conv-2" },
        ];
    }
}
