using System.Reflection;
using System.Text.RegularExpressions;

namespace UsageTracking;

/// <summary>
/// Settings of a tracker, bound from the configuration section <c>UsageTracking</c>
/// (appsettings, or environment variables such as <c>UsageTracking__AppName</c>).
/// </summary>
public sealed partial class UsageTrackingOptions
{
    /// <summary>The configuration section the options are read from: <c>UsageTracking</c>.</summary>
    public const string SectionName = "UsageTracking";

    /// <summary>Stored in <c>app_name</c>. Default: the entry assembly's name.</summary>
    public string AppName { get; set; } = Assembly.GetEntryAssembly()?.GetName().Name ?? "app";

    /// <summary>Which store writes events: <c>sqlite</c> (default), <c>postgres</c> or <c>databricks</c>, each from its own package.</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>
    /// Where the store is. For <c>sqlite</c>, a file path or a <c>Data Source=…</c> connection string;
    /// empty means <c>usage.db</c> in <see cref="DataDirectory"/>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The usage table: <c>central_app_usage</c> by default; <c>schema.table</c> and <c>catalog.schema.table</c> where the store has them.</summary>
    public string TableName { get; set; } = "central_app_usage";

    /// <summary>Whether the tracker creates the table, or adds the extended columns to a 4-column seed table. Default true.</summary>
    public bool AllowSchemaUpgrade { get; set; } = true;

    /// <summary>
    /// Per-user folder for the embedded database and the spool: by default <c>UsageTracking</c> under the
    /// local application data folder (<c>~/.local/share/UsageTracking</c> on Linux, <c>%LOCALAPPDATA%\UsageTracking</c> on Windows).
    /// </summary>
    public string DataDirectory { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "UsageTracking");

    /// <summary>False turns every <c>Track*</c> call into a no-op. The environment variable <c>ANALYTICS_ENABLED=false</c> does the same. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The user stored when a call passes none. Default <c>anonymous@localhost</c>.</summary>
    public string DefaultUser { get; set; } = "anonymous@localhost";

    /// <summary>Events held in memory before overflow goes to the spool. Default 100,000.</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Most events per store write. Default 1,000.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>Longest an event waits in memory for its batch to fill. Default 1 second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Folder of the on-disk spool. Default <c>spool/&lt;AppName&gt;</c> under <see cref="DataDirectory"/>.</summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>Most bytes the spool may hold; beyond it new overflow is dropped and counted. Default 256 MiB.</summary>
    public long SpoolMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Durable mode: each event is appended to an on-disk journal before <c>Track</c> returns, so it survives
    /// the process being killed (SIGKILL, power-off of the process, not of the machine). Costs a system call per event. Default false.
    /// </summary>
    public bool Durable { get; set; }

    /// <summary>
    /// When the in-memory queue is full: true (default) appends the event to the spool on the caller's thread,
    /// which loses nothing but does I/O; false drops it and counts it (reason <c>queue_full</c>).
    /// </summary>
    public bool SpoolWhenQueueFull { get; set; } = true;

    /// <summary>Rows older than this many days are deleted by a periodic cleanup; 0 keeps everything. Default 180.</summary>
    public int RetentionDays { get; set; } = 180;

    /// <summary>How often the retention cleanup runs. Default 6 hours.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Longest a batch is retried after transient failures before it is spooled. Default 10 seconds.</summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest one store write may take. Default 30 seconds.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the store is left alone after repeated failures (circuit open) before one trial write. Default 10 seconds.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest <c>FlushAsync</c>, <c>DisposeAsync</c> and <c>Dispose</c> take; what is not written by then is spooled. Default 5 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Log delivery failures at warning level (otherwise debug). The environment variable <c>DEBUG_LOGGING=true</c> does the same.</summary>
    public bool DebugLogging { get; set; }

    /// <summary>What is kept about people: hashed users, dropped or redacted free text. Section <c>UsageTracking:Privacy</c>.</summary>
    public PrivacyOptions Privacy { get; set; } = new();

    /// <summary>Looks up user details stored in <c>properties.user_info</c>; with DI, a registered <see cref="IUserEnricher"/> is used when this is null.</summary>
    public IUserEnricher? UserEnricher { get; set; }

    /// <summary>How long a user's looked-up details are reused before the enricher is asked again. Default 30 days.</summary>
    public TimeSpan UserInfoCacheDuration { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Per-model prices (USD per million tokens) laid over <see cref="ModelPricing.Defaults"/>; <c>token_usage</c> events tracked
    /// without a cost are priced from them. Configure as <c>UsageTracking:ModelPrices:&lt;model&gt;:InputPerMillion</c>, <c>OutputPerMillion</c>, <c>CachedInputPerMillion</c>.
    /// </summary>
    public Dictionary<string, ModelPrice> ModelPrices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Prices of costs that are not model tokens (USD per unit: an SMS segment, a voice minute, a page rendered); events
    /// tracked with <c>TrackUnitCost</c> and no cost of their own are priced from them. Configure as
    /// <c>UsageTracking:UnitPrices:sms_segment = 0.0079</c>. A unit without a price gets no cost rather than a guess.
    /// </summary>
    public Dictionary<string, decimal> UnitPrices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Funnels the dashboard and report show for their apps, besides the SQL editing funnel every dashboard has: a name,
    /// an app (none: every app), the steps' actions in order and what is counted (<c>Session</c> or <c>User</c>). Counted
    /// from the steps' events in the range. Default none.
    /// </summary>
    public List<Analytics.FunnelDefinition> Funnels { get; set; } = [];

    /// <summary>The spool folder in use: <see cref="SpoolDirectory"/> or its default.</summary>
    public string ResolvedSpoolDirectory =>
        string.IsNullOrWhiteSpace(SpoolDirectory) ? Path.Combine(DataDirectory, "spool", SafeFileName(AppName)) : SpoolDirectory;

    /// <summary>
    /// Applies <c>ANALYTICS_ENABLED</c> and <c>DEBUG_LOGGING</c> from the environment, as the earlier tracker did.
    /// Called by <see cref="UsageTracker.Create(UsageTrackingOptions)"/> and the DI registration.
    /// </summary>
    public void ApplyEnvironment()
    {
        if (IsFalse(Environment.GetEnvironmentVariable("ANALYTICS_ENABLED")))
        {
            Enabled = false;
        }

        if (IsTrue(Environment.GetEnvironmentVariable("DEBUG_LOGGING")))
        {
            DebugLogging = true;
        }
    }

    /// <summary>Every problem with these settings, one sentence each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Check(!string.IsNullOrWhiteSpace(AppName) && AppName.Length <= FieldLimits.AppName,
            $"UsageTracking:AppName must be 1 to {FieldLimits.AppName} characters.");
        Check(!string.IsNullOrWhiteSpace(Store), "UsageTracking:Store must name a store, such as 'sqlite'.");
        Check(TableNamePattern().IsMatch(TableName ?? ""),
            $"UsageTracking:TableName '{TableName}' must be a table name of letters, digits and underscores, optionally qualified as schema.table or catalog.schema.table.");
        Check(!string.IsNullOrWhiteSpace(DataDirectory), "UsageTracking:DataDirectory must be a folder path.");
        Check(DefaultUser is { Length: > 0 and <= FieldLimits.User }, $"UsageTracking:DefaultUser must be 1 to {FieldLimits.User} characters.");
        Check(QueueCapacity is >= 1 and <= 10_000_000, "UsageTracking:QueueCapacity must be between 1 and 10,000,000.");
        Check(BatchSize is >= 1 and <= 100_000, "UsageTracking:BatchSize must be between 1 and 100,000.");
        Check(FlushInterval >= TimeSpan.FromMilliseconds(1) && FlushInterval <= TimeSpan.FromHours(1), "UsageTracking:FlushInterval must be between 1 ms and 1 hour.");
        Check(SpoolMaxBytes >= 64 * 1024, "UsageTracking:SpoolMaxBytes must be at least 65536 (64 KiB).");
        Check(RetentionDays is >= 0 and <= 36_500, "UsageTracking:RetentionDays must be between 0 (keep everything) and 36500.");
        Check(CleanupInterval >= TimeSpan.FromSeconds(1), "UsageTracking:CleanupInterval must be at least 1 second.");
        Check(RetryBudget >= TimeSpan.Zero && RetryBudget <= TimeSpan.FromHours(1), "UsageTracking:RetryBudget must be between 0 and 1 hour.");
        Check(AttemptTimeout >= TimeSpan.FromMilliseconds(10) && AttemptTimeout <= TimeSpan.FromHours(1), "UsageTracking:AttemptTimeout must be between 10 ms and 1 hour.");
        Check(BreakDuration >= TimeSpan.FromMilliseconds(500) && BreakDuration <= TimeSpan.FromHours(1), "UsageTracking:BreakDuration must be between 500 ms and 1 hour.");
        Check(ShutdownTimeout >= TimeSpan.Zero && ShutdownTimeout <= TimeSpan.FromMinutes(5), "UsageTracking:ShutdownTimeout must be between 0 and 5 minutes.");
        Check(UserInfoCacheDuration >= TimeSpan.Zero, "UsageTracking:UserInfoCacheDuration must not be negative.");
        foreach (var (model, price) in ModelPrices)
        {
            Check(price is not null && price.InputPerMillion >= 0 && price.OutputPerMillion >= 0 && price.CachedInputPerMillion is null or >= 0,
                $"UsageTracking:ModelPrices:{model} must have non-negative InputPerMillion, OutputPerMillion and CachedInputPerMillion.");
        }
        for (var i = 0; i < Funnels.Count; i++)
        {
            var funnel = Funnels[i];
            Check(!string.IsNullOrWhiteSpace(funnel.Name), $"UsageTracking:Funnels:{i}:Name is required.");
            Check(funnel.Steps.Count >= 2 && funnel.Steps.All(s => !string.IsNullOrWhiteSpace(s)), $"UsageTracking:Funnels:{i}:Steps needs two actions at least, none blank.");
            Check(funnel.Steps.Distinct(StringComparer.Ordinal).Count() == funnel.Steps.Count, $"UsageTracking:Funnels:{i}:Steps names an action twice.");
        }

        foreach (var (unit, price) in UnitPrices)
        {
            Check(price >= 0, $"UsageTracking:UnitPrices:{unit} must not be negative.");
        }

        Check(Privacy is null || !Privacy.HashUsers || Privacy.HashKey is { Length: >= 16 },
            "UsageTracking:Privacy:HashKey must be set, 16 characters or more, when UsageTracking:Privacy:HashUsers is true.");
        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with every problem when the settings are invalid.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors));
        }
    }

    internal UsageTrackingOptions Clone() => (UsageTrackingOptions)MemberwiseClone();

    private static bool IsFalse(string? value) => value?.Trim().ToLowerInvariant() is "false" or "0" or "no" or "off";

    private static bool IsTrue(string? value) => value?.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "on";

    private static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var chars = name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '_' : c).ToArray();
        return chars.Length == 0 ? "app" : new string(chars);
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")]
    private static partial Regex TableNamePattern();
}
