using UsageTracking.Implementation;

namespace UsageTracking;

/// <summary>
/// One row of the usage table. Apps create it for rich events (<see cref="IUsageTracker.Track"/>);
/// stores receive it normalised: <see cref="EventId"/>, <see cref="AppName"/> and <see cref="User"/> set,
/// <see cref="Timestamp"/> in UTC, every field within <see cref="FieldLimits"/>, and
/// <see cref="Properties"/> serialised into <see cref="PropertiesJson"/>.
/// </summary>
public sealed record UsageEvent
{
    private string? _eventId;
    private string? _appName;
    private string? _user;

    // Everything beyond the seed's columns lives in a second object, allocated only when one of them is set:
    // the common TrackUserAction(user, action) event is 72 bytes instead of about 200.
    private Details? _details;

    /// <summary>Creates an empty event; set at least <see cref="Action"/>.</summary>
    public UsageEvent()
    {
    }

    internal UsageEvent(DateTimeOffset timestamp, string? user, string action)
    {
        Timestamp = timestamp;
        _user = user;
        Action = action;
    }

    // Used by `with`: the copy gets its own details, so setting one on the copy never changes the original.
    private UsageEvent(UsageEvent original)
    {
        Timestamp = original.Timestamp;
        _eventId = original._eventId;
        _appName = original._appName;
        _user = original._user;
        Action = original.Action;
        _details = original._details?.Copy();
    }

    /// <summary>When the action happened. Left at its default, the tracker uses the time of the <c>Track</c> call. Stored in UTC.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The app that recorded the event. Left null, the tracker's <see cref="UsageTrackingOptions.AppName"/>.</summary>
    public string? AppName { get => _appName; init => _appName = value; }

    /// <summary>Who did it, usually an e-mail address. Left null, the tracker's <see cref="UsageTrackingOptions.DefaultUser"/>.</summary>
    public string? User { get => _user; init => _user = value; }

    /// <summary>What was done: one of <see cref="Actions"/> or an app-specific name.</summary>
    public string Action { get; init; } = "";

    /// <summary>
    /// The idempotency key: a UUIDv7 as text. Left null, the tracker assigns one before the first write,
    /// and every retry and replay reuses it, so a store never holds the event twice.
    /// </summary>
    public string? EventId { get => _eventId; init => _eventId = value; }

    /// <summary>The user's session or conversation.</summary>
    public string? SessionId { get => _details?.SessionId; init => Own().SessionId = value; }

    /// <summary>Free text; for errors, the message.</summary>
    public string? Detail { get => _details?.Detail; init => Own().Detail = value; }

    /// <summary>How long the step took, in milliseconds.</summary>
    public double? DurationMs { get => _details?.DurationMs; init => Own().DurationMs = value; }

    /// <summary>The LLM model, for token usage.</summary>
    public string? Model { get => _details?.Model; init => Own().Model = value; }

    /// <summary>LLM input (prompt) tokens.</summary>
    public long? InputTokens { get => _details?.InputTokens; init => Own().InputTokens = value; }

    /// <summary>LLM output (completion) tokens.</summary>
    public long? OutputTokens { get => _details?.OutputTokens; init => Own().OutputTokens = value; }

    /// <summary>Estimated cost in US dollars.</summary>
    public decimal? CostUsd { get => _details?.CostUsd; init => Own().CostUsd = value; }

    /// <summary>
    /// Extra detail as a JSON object. Serialised on the background writer, so do not change the
    /// dictionary after tracking it; a value that cannot be serialised is replaced by an error note.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? Properties { get => _details?.Properties; init => Own().Properties = value; }

    /// <summary>The <c>properties</c> column as JSON object text. Takes precedence over <see cref="Properties"/> when both are set.</summary>
    public string? PropertiesJson { get => _details?.PropertiesJson; init => Own().PropertiesJson = value; }

    /// <summary>
    /// True for events recorded by <see cref="IUsageTracker.TrackError"/>. A store holding the 4-column seed
    /// table writes such an event's action as <c>"&lt;type&gt;: &lt;message&gt;"</c> (see <see cref="CompatAction"/>).
    /// </summary>
    public bool IsError { get => _details?.IsError ?? false; init => Own().IsError = value; }

    /// <summary>
    /// The action as the original 4-column tracker wrote it: for errors <c>"&lt;type&gt;: &lt;message&gt;"</c>
    /// so existing <c>LIKE '%_error%'</c> analyses keep working; otherwise <see cref="Action"/>.
    /// </summary>
    public string CompatAction => IsError && !string.IsNullOrEmpty(Detail) ? $"{Action}: {Detail}" : Action;

    /// <summary>Set by durable mode: the journal segment that holds this event until it is written or spooled.</summary>
    internal JournalSegment? Journal { get => _details?.Journal; set => Own().Journal = value; }

    /// <summary>Non-null only for the queue marker that <see cref="UsageTracker.FlushAsync"/> enqueues.</summary>
    internal FlushRequest? Flush { get => _details?.Flush; init => Own().Flush = value; }

    internal void AssignDefaults(string appName, string defaultUser, string eventId)
    {
        _appName ??= appName;
        _user ??= defaultUser;
        _eventId ??= eventId;
    }

    private Details Own() => _details ??= new Details();

    private sealed record Details
    {
        public string? SessionId { get; set; }
        public string? Detail { get; set; }
        public double? DurationMs { get; set; }
        public string? Model { get; set; }
        public long? InputTokens { get; set; }
        public long? OutputTokens { get; set; }
        public decimal? CostUsd { get; set; }
        public IReadOnlyDictionary<string, object?>? Properties { get; set; }
        public string? PropertiesJson { get; set; }
        public bool IsError { get; set; }
        public JournalSegment? Journal { get; set; }
        public FlushRequest? Flush { get; set; }

        public Details Copy() => this with { };
    }
}
