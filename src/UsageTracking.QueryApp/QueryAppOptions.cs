namespace UsageTracking.QueryApp;

/// <summary>Settings of the query app, bound from the <c>QueryApp</c> configuration section.</summary>
public sealed class QueryAppOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "QueryApp";

    /// <summary>Folder for the demo database and saved examples. Default: the tracker's <c>DataDirectory</c>.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Number of synthetic studies in the demo data created on first run. Default 50,000.</summary>
    public int DemoStudies { get; set; } = 50_000;

    /// <summary>
    /// Take the user's email from <see cref="ForwardedEmailHeader"/>. Turn on only behind a proxy that sets the header
    /// and strips it from clients (Databricks Apps, oauth2-proxy); otherwise anyone could claim any identity. Default false.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; }

    /// <summary>The header holding the user's email when <see cref="TrustForwardedHeaders"/> is on. Default <c>X-Forwarded-Email</c>.</summary>
    public string ForwardedEmailHeader { get; set; } = "X-Forwarded-Email";

    /// <summary>The user recorded when no trusted header names one. Default <c>query-app-user@localhost</c>.</summary>
    public string DefaultUser { get; set; } = "query-app-user@localhost";

    /// <summary>When set, the shared key each browser session must enter once before using the app. Default none.</summary>
    public string? AccessKey { get; set; }

    /// <summary>
    /// Users (emails, as the app resolves them) who may share a user's saved example with everyone. Default none: each
    /// example then answers only the user who saved it.
    /// </summary>
    public IList<string> Admins { get; set; } = [];

    /// <summary>Whether <paramref name="user"/> is one of <see cref="Admins"/>.</summary>
    internal bool IsAdmin(string user) => Admins.Any(a => string.Equals(a?.Trim(), user, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The key a browser session enters at <c>/login</c>: <see cref="AccessKey"/>, else <see cref="ApiKey"/> (a key set
    /// for scripts protects the data from browsers too), else none (the app is open, as on a developer's machine).
    /// </summary>
    internal string? LoginKey => AccessKey is { Length: > 0 } ? AccessKey : ApiKey is { Length: > 0 } ? ApiKey : null;

    /// <summary>Most rows shown on the page for one query; the page says when a result is cut. Default 5,000.</summary>
    public int RowLimit { get; set; } = 5_000;

    /// <summary>Most rows in one download (Excel's own limit is 1,048,575). Default 1,000,000.</summary>
    public int DownloadRowLimit { get; set; } = 1_000_000;

    /// <summary>How long one query may take, counted from when it is asked for (waiting for a slot included). Default 30 s.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most bytes of rows shown for one query (estimated as they are read); the page says when a result is cut. Default 8 MiB.</summary>
    public long ResultByteLimit { get; set; } = 8L << 20;

    /// <summary>Largest single value (text or blob) a query may return; a larger one fails the query with one sentence. Default 1 MiB.</summary>
    public int CellByteLimit { get; set; } = 1 << 20;

    /// <summary>Most bytes of shown results one browser session keeps (for chart, summary, download); older runs go first. Default 32 MiB.</summary>
    public long SessionRunBytes { get; set; } = 32L << 20;

    /// <summary>Most bytes of shown results the whole app keeps; the least recently used runs go first. Default 256 MiB.</summary>
    public long KeptRunBytes { get; set; } = 256L << 20;

    /// <summary>Most bytes in one download (the file is cut there, and its name says so). Default 256 MiB.</summary>
    public long DownloadByteLimit { get; set; } = 256L << 20;

    /// <summary>
    /// Most memory every SQLite connection of the app may allocate together; user queries sort and group in memory (never in
    /// temporary files), and one needing more fails with one sentence. 0 for no cap. Default 512 MiB.
    /// </summary>
    public long SqliteMemoryLimit { get; set; } = 512L << 20;

    /// <summary>Most user queries running at once in the app; more wait (see <see cref="QueryQueueWait"/>). Default 4.</summary>
    public int MaxConcurrentQueries { get; set; } = 4;

    /// <summary>Most queries one user may have running at once. Default 2.</summary>
    public int MaxQueriesPerUser { get; set; } = 2;

    /// <summary>Longest a query waits for a free slot before the app says it is busy. Default 5 s.</summary>
    public TimeSpan QueryQueueWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When set, every <c>/api</c> data route answers only a request with it in the <c>X-API-Key</c> header (scripts and
    /// schedulers) or a browser session that has entered a key at <c>/login</c>; <c>/api/export</c> needs the header.
    /// Compared in constant time; never logged. Default none.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The language model used to generate SQL; when <see cref="LlmOptions.Model"/> is unset the offline generator is used.</summary>
    public LlmOptions Llm { get; set; } = new();

    /// <summary>The table to offer as a Databricks data source, with <c>DATABRICKS_*</c> or <c>QueryApp:Databricks:*</c> settings. Default none.</summary>
    public string? DatabricksTable { get; set; }

    /// <summary>Problems with the settings, each naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (RowLimit is < 1 or > 100_000)
        {
            problems.Add("QueryApp:RowLimit must be between 1 and 100000.");
        }

        if (DownloadRowLimit is < 1 or > 1_048_575)
        {
            problems.Add("QueryApp:DownloadRowLimit must be between 1 and 1048575 (Excel's sheet limit).");
        }

        if (QueryTimeout <= TimeSpan.Zero)
        {
            problems.Add("QueryApp:QueryTimeout must be positive.");
        }

        if (ResultByteLimit < 1024 || CellByteLimit < 1024 || SessionRunBytes < ResultByteLimit || KeptRunBytes < SessionRunBytes || DownloadByteLimit < 1024)
        {
            problems.Add("QueryApp byte limits must be at least 1 KiB, with SessionRunBytes ≥ ResultByteLimit and KeptRunBytes ≥ SessionRunBytes.");
        }

        if (MaxConcurrentQueries < 1 || MaxQueriesPerUser < 1 || QueryQueueWait < TimeSpan.Zero)
        {
            problems.Add("QueryApp:MaxConcurrentQueries and QueryApp:MaxQueriesPerUser must be 1 or more, and QueryApp:QueryQueueWait not negative.");
        }

        if (SqliteMemoryLimit is < 0 or (> 0 and < 16L << 20))
        {
            problems.Add("QueryApp:SqliteMemoryLimit must be 0 (no cap) or at least 16 MiB.");
        }

        if (DemoStudies < 0)
        {
            problems.Add("QueryApp:DemoStudies cannot be negative.");
        }

        if (Llm.Model is not null && Llm.BaseUrl is not null && !Uri.TryCreate(Llm.BaseUrl, UriKind.Absolute, out _))
        {
            problems.Add("QueryApp:Llm:BaseUrl must be an absolute URL such as https://api.openai.com/v1.");
        }

        return problems;
    }
}

/// <summary>An OpenAI-compatible chat-completions endpoint: OpenAI, Azure OpenAI (v1), Databricks model serving, Ollama, vLLM.</summary>
public sealed class LlmOptions
{
    /// <summary>The model or deployment name. Unset (the default) means the built-in offline generator.</summary>
    public string? Model { get; set; }

    /// <summary>The endpoint's base URL, e.g. <c>http://localhost:11434/v1</c> for Ollama. Default: OpenAI's.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The API key; also read from <c>OPENAI_API_KEY</c>. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Send result rows to the model to write the summary. Off by default: results may hold data the model should not see.</summary>
    public bool AllowLlmToSeeData { get; set; }

    /// <summary>When a generated query fails to run, ask the model once to fix it. Default true.</summary>
    public bool AutoFix { get; set; } = true;

    /// <summary>How long one model call may take. Default 60 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}
