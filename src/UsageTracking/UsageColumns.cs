namespace UsageTracking;

/// <summary>What a usage column holds; each store maps it to its own SQL type.</summary>
public enum UsageColumnType
{
    /// <summary>A point in time, UTC.</summary>
    Timestamp,

    /// <summary>Text.</summary>
    Text,

    /// <summary>A 64-bit integer.</summary>
    Integer,

    /// <summary>A double-precision number.</summary>
    Real,

    /// <summary>A decimal amount (money).</summary>
    Decimal,

    /// <summary>True or false.</summary>
    Boolean,

    /// <summary>A JSON object.</summary>
    Json,
}

/// <summary>One column of the usage table.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Type">What it holds.</param>
/// <param name="Seed">Whether the earlier tracker's 4-column table has it (those are NOT NULL in a table the stores create).</param>
/// <param name="Description">What it means, for docs and prompts.</param>
public sealed record UsageColumn(string Name, UsageColumnType Type, bool Seed, string Description);

/// <summary>
/// The usage table's columns, in order: the seed's four (<c>timestamp, app_name, user, action</c>), then the extended
/// ones. Every store creates, upgrades, writes and reads its table from this one list.
/// </summary>
public static class UsageColumns
{
    /// <summary>Every column, in table order.</summary>
    public static IReadOnlyList<UsageColumn> All { get; } =
    [
        new("timestamp", UsageColumnType.Timestamp, true, "when the action happened (UTC)"),
        new("app_name", UsageColumnType.Text, true, "the app that recorded it"),
        new("user", UsageColumnType.Text, true, "who did it, usually an e-mail address (or its keyed hash)"),
        new("action", UsageColumnType.Text, true, "what was done, e.g. execute_sql; for errors, the error type"),
        new("event_id", UsageColumnType.Text, false, "UUIDv7, the idempotency key"),
        new("session_id", UsageColumnType.Text, false, "the user's session or conversation"),
        new("detail", UsageColumnType.Text, false, "free text; for errors, the message"),
        new("duration_ms", UsageColumnType.Real, false, "how long the step took, in milliseconds"),
        new("model", UsageColumnType.Text, false, "the LLM model, for token_usage"),
        new("input_tokens", UsageColumnType.Integer, false, "LLM input tokens"),
        new("output_tokens", UsageColumnType.Integer, false, "LLM output tokens"),
        new("cost_usd", UsageColumnType.Decimal, false, "estimated cost in US dollars"),
        new("properties", UsageColumnType.Json, false, "extra detail as a JSON object"),
        new("is_error", UsageColumnType.Boolean, false, "whether the event is an error (null on rows written before the column existed)"),
    ];

    /// <summary>The seed's four columns.</summary>
    public static IReadOnlyList<UsageColumn> Seed { get; } = All.Where(c => c.Seed).ToList();

    /// <summary>The columns beyond the seed's, which an upgrade adds.</summary>
    public static IReadOnlyList<UsageColumn> Extended { get; } = All.Where(c => !c.Seed).ToList();

    /// <summary>The columns' names, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(c => c.Name).ToList();
}
