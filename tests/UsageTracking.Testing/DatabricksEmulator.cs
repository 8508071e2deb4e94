using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using UsageTracking.Analytics;
using UsageTracking.Databricks;
using UsageTracking.Sqlite;

namespace UsageTracking.Testing;

/// <summary>
/// A FAKE of the Databricks SQL Statement Execution API, for tests and benchmarks only: ASP.NET Core on 127.0.0.1 with the documented
/// request and response shapes (hybrid wait, PENDING/RUNNING/SUCCEEDED/FAILED, polling, multi-chunk JSON_ARRAY results,
/// cancel, HTTP errors with Retry-After, OAuth M2M tokens) and fault injection. It does not parse SQL: it understands only
/// the statements UsageTracking.Databricks sends, recognised by their <c>-- usage_tracking:&lt;operation&gt;</c> label, and
/// carries them out on a real SQLite file through the SQLite store, so rows written can be read back. The query app's
/// ad-hoc queries (label <c>query</c>) run as they are on that SQLite file, with three-part names reduced to the table
/// name — fine for the plain SELECTs tests send, not a Spark SQL engine. Whether the SQL text is valid Spark SQL is
/// for the live suite against a real warehouse.
/// </summary>
public sealed class DatabricksEmulator : IAsyncDisposable
{
    public const string Token = "dapi-emulator-token";
    public const string ClientId = "emulator-client";
    public const string ClientSecret = "emulator-secret";
    public const string Warehouse = "abc123emulator";

    private readonly WebApplication _app;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "usage-emulator-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ConcurrentDictionary<string, Statement> _statements = new();
    private readonly ConcurrentDictionary<string, SqliteUsageStore> _stores = new();
    private readonly ConcurrentQueue<string> _texts = new();
    private readonly ConcurrentQueue<(string Statement, IReadOnlyDictionary<string, string?> Tags)> _tags = new();
    private readonly ConcurrentDictionary<string, int> _operations = new();
    private readonly Lock _faultLock = new();
    private readonly Random _random = new(1234);
    private int _throttle;
    private int _throttleStatus = 429;
    private int _retryAfter = 1;
    private int _drop;
    private int _commitThenDrop;
    private (string Code, string Message, string? SqlState)? _fail;
    private long _issuedTokens;
    private readonly ConcurrentDictionary<string, bool> _revoked = new();
    private int _cancelled;
    private int _silentlyEmptied;
    private int _loseRows;
    private long _executeBytes;
    private int _resentWhileRunning;
    private int _failedWrites;
    private int _conflicts;
    private long _responseBytes;
    private readonly ConcurrentDictionary<string, long> _bytesByOperation = new();
    private readonly ConcurrentDictionary<string, string?> _lastParameters = new();
    private (string Code, string Message, string? SqlState)? _failWrites;

    private DatabricksEmulator(WebApplication app)
    {
        _app = app;
        Directory.CreateDirectory(_folder);
    }

    public Uri BaseAddress { get; private set; } = null!;

    public string Database => Path.Combine(_folder, "warehouse.db");

    /// <summary>Refuse <c>query_tags</c> with a 400, as a workspace without the query-tags preview might.</summary>
    public bool RefuseQueryTags { get; set; }

    /// <summary>Each statement taken with query tags, and its tags.</summary>
    public IReadOnlyList<(string Statement, IReadOnlyDictionary<string, string?> Tags)> QueryTags => [.. _tags];

    /// <summary>Rows per result chunk.</summary>
    public int ChunkSize { get; set; } = 1_000;

    /// <summary>
    /// Statements that take at least this long (a slow one, or any while the warehouse starts) do their work only when
    /// their time is up, so a cancel before then stops them, as a warehouse's would; quicker ones work at once.
    /// </summary>
    public static readonly TimeSpan DeferredFrom = TimeSpan.FromSeconds(1);

    /// <summary>How long a statement stays PENDING/RUNNING after it is submitted (a warehouse starting, a slow statement).</summary>
    public TimeSpan StatementTime { get; set; }

    /// <summary>Longest the emulator holds an execute reply waiting for the result, whatever wait_timeout asked (to force polling).</summary>
    public TimeSpan? MaxWait { get; set; }

    /// <summary>When each request arrived, by kind (execute, status, chunk), for checking the client's pacing.</summary>
    public ConcurrentQueue<(string Kind, DateTimeOffset At)> Requests { get; } = new();

    /// <summary>Every execute request: with this probability it is throttled (429 or 503) or its connection dropped before or after committing.</summary>
    public double RandomFaultRate { get; set; }

    public IReadOnlyCollection<string> StatementTexts => _texts;

    public int Executed(string operation) => _operations.GetValueOrDefault(operation);

    public int ExecutedTotal => _operations.Values.Sum();

    public long TokensIssued => Interlocked.Read(ref _issuedTokens);

    /// <summary>Batches a PERMISSIVE from_json turned into no rows while the statement succeeded (data silently lost).</summary>
    public int SilentlyEmptiedBatches => Volatile.Read(ref _silentlyEmptied);

    /// <summary>Until when the warehouse is starting: statements submitted before then run only then (a cold classic warehouse).</summary>
    public DateTimeOffset? ColdUntil { get; set; }

    /// <summary>
    /// Statements the client stopped waiting for without cancelling them and without learning how they ended: they ran on
    /// (or still run) unobserved. Replies the emulator itself dropped do not count.
    /// </summary>
    public int AbandonedStatements => _statements.Values.Count(s => !s.ClientSawEnd && !s.CancelRequested && !s.ReplyLost);

    /// <summary>Writes whose events were sent again while an earlier statement carrying them was still running.</summary>
    public int ResentWhileRunning => Volatile.Read(ref _resentWhileRunning);

    /// <summary>The value the last statement carrying a parameter of this name gave it.</summary>
    public string? LastParameter(string name) => _lastParameters.GetValueOrDefault(name);

    /// <summary>Bytes of every statement reply and result chunk sent.</summary>
    public long ResponseBytes => Interlocked.Read(ref _responseBytes);

    /// <summary>Reply bytes by statement label.</summary>
    public IReadOnlyDictionary<string, long> ResponseBytesByOperation => _bytesByOperation;

    /// <summary>The most rows one read_events statement produced.</summary>
    public int LargestResultRows { get; private set; }

    /// <summary>The largest execute request body received.</summary>
    public long LargestExecuteBytes { get; private set; }

    /// <summary>Bytes of every execute request body received.</summary>
    public long ExecuteBytes => Interlocked.Read(ref _executeBytes);

    /// <summary>Cancel requests received.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    public void ThrottleNext(int count, int status = 429, int retryAfterSeconds = 1)
    {
        lock (_faultLock)
        {
            (_throttle, _throttleStatus, _retryAfter) = (count, status, retryAfterSeconds);
        }
    }

    public void DropNext(int count) => Interlocked.Exchange(ref _drop, count);

    public void CommitThenDropNext(int count) => Interlocked.Exchange(ref _commitThenDrop, count);

    /// <summary>Every write (MERGE or INSERT) fails with this error until called again with nulls.</summary>
    public void FailWrites(string? code, string? message, string? sqlState)
    {
        lock (_faultLock)
        {
            _failWrites = code is null ? null : (code, message!, sqlState);
        }
    }

    /// <summary>The share of MERGEs that fail with DELTA_CONCURRENT_APPEND (SQLSTATE 2D521), as concurrent writers cause.</summary>
    public double ConflictRate { get; set; }

    /// <summary>MERGEs failed as commit conflicts.</summary>
    public int Conflicts => Volatile.Read(ref _conflicts);

    /// <summary>Writes failed by <see cref="FailWrites"/>.</summary>
    public int FailedWrites => Volatile.Read(ref _failedWrites);

    /// <summary>The next <paramref name="count"/> MERGEs succeed having written no row (as a PERMISSIVE parse would leave them).</summary>
    public void LoseRowsOfNext(int count) => Interlocked.Exchange(ref _loseRows, count);

    public void FailNext(string code, string message, string? sqlState = null)
    {
        lock (_faultLock)
        {
            _fail = (code, message, sqlState);
        }
    }

    public DatabricksSettings Settings(bool oauth = false) => new()
    {
        BaseAddress = BaseAddress,
        WarehouseId = Warehouse,
        AccessToken = oauth ? null : Token,
        ClientId = oauth ? ClientId : null,
        ClientSecret = oauth ? ClientSecret : null,
    };

    public static async Task<DatabricksEmulator> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var emulator = new DatabricksEmulator(app);
        app.MapPost("/oidc/v1/token", (Func<HttpContext, IResult>)emulator.IssueToken);
        app.MapPost("/api/2.0/sql/statements", (Func<HttpContext, Task<IResult>>)emulator.ExecuteAsync);
        app.MapGet("/api/2.0/sql/statements/{id}", emulator.Status);
        app.MapGet("/api/2.0/sql/statements/{id}/result/chunks/{index:int}", emulator.Chunk);
        app.MapPost("/api/2.0/sql/statements/{id}/cancel", emulator.Cancel);
        await app.StartAsync();
        emulator.BaseAddress = new Uri(app.Urls.First() + "/");
        return emulator;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var store in _stores.Values)
        {
            await store.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private IResult IssueToken(HttpContext context)
    {
        var expected = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"));
        if (context.Request.Headers.Authorization != expected)
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }

        var token = "oauth-" + Interlocked.Increment(ref _issuedTokens);
        return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = 3600 });
    }

    private bool Authorized(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header == $"Bearer {Token}" || (header.StartsWith("Bearer oauth-", StringComparison.Ordinal) && !_revoked.ContainsKey(header["Bearer ".Length..]));
    }

    /// <summary>Every OAuth token issued so far stops working (revoked, or expired before its expires_in).</summary>
    public void RevokeOAuthTokens()
    {
        for (var i = 1; i <= Interlocked.Read(ref _issuedTokens); i++)
        {
            _revoked[$"oauth-{i}"] = true;
        }
    }

    private async Task<IResult> ExecuteAsync(HttpContext context)
    {
        if (!Authorized(context))
        {
            return Error(401, "UNAUTHENTICATED", "Invalid access token.");
        }

        Requests.Enqueue(("execute", DateTimeOffset.UtcNow));
        using var raw = new StreamReader(context.Request.Body, System.Text.Encoding.UTF8);
        var text = await raw.ReadToEndAsync();
        var size = System.Text.Encoding.UTF8.GetByteCount(text);
        Interlocked.Add(ref _executeBytes, size);
        lock (_faultLock)
        {
            LargestExecuteBytes = Math.Max(LargestExecuteBytes, size);
        }

        var body = JsonNode.Parse(text);
        var sql = body?["statement"]?.GetValue<string>() ?? "";
        if (body?["warehouse_id"]?.GetValue<string>() != Warehouse)
        {
            return Error(404, "NOT_FOUND", "Warehouse not found.");
        }

        // A workspace without the preview refuses the field before anything runs.
        if (body["query_tags"] is JsonArray && RefuseQueryTags)
        {
            return Error(400, "INVALID_PARAMETER_VALUE", "Unknown field query_tags.");
        }

        // Faults decided before executing: throttling and dropped connections mean the statement never ran.
        lock (_faultLock)
        {
            if (_throttle > 0)
            {
                _throttle--;
                context.Response.Headers.RetryAfter = _retryAfter.ToString(CultureInfo.InvariantCulture);
                return Error(_throttleStatus, "RESOURCE_EXHAUSTED", "Too many requests.");
            }
        }

        var roll = RandomFaultRate > 0 ? NextDouble() : 1;
        if (Interlocked.Decrement(ref _drop) >= 0 || roll < RandomFaultRate * 0.25)
        {
            context.Abort();
            return Results.Empty;
        }

        if (roll < RandomFaultRate * 0.75)
        {
            context.Response.Headers.RetryAfter = "1";
            return Error(roll < RandomFaultRate * 0.5 ? 429 : 503, "TEMPORARILY_UNAVAILABLE", "Throttled.");
        }

        _texts.Enqueue(sql);
        if (body["query_tags"] is JsonArray tags)
        {
            _tags.Enqueue((sql, tags.ToDictionary(t => t!["key"]!.GetValue<string>(), t => t!["value"]?.GetValue<string>())));
        }
        var now = DateTimeOffset.UtcNow;
        var ready = now + StatementTime;
        if (ColdUntil is { } warm && warm > ready)
        {
            // The warehouse is starting: nothing runs before it is up.
            ready = warm;
        }

        var parameters = Parameters(body!["parameters"]?.AsArray());
        foreach (var (name, value) in parameters)
        {
            _lastParameters[name] = value;
        }

        var statement = new Statement(Guid.NewGuid().ToString(), ready)
        {
            Operation = Operation(sql), EventIds = new(() => BatchIds(sql, parameters)), ByteLimit = body["byte_limit"]?.GetValue<long>(),
        };
        // The event ids are read only when another write is still running (one writer at a time never pays for it).
        if (statement.Operation is "merge_batch" or "insert_batch"
            && _statements.Values.Where(s => !s.Finished && !s.CancelRequested && s.Operation is "merge_batch" or "insert_batch").ToList() is { Count: > 0 } running
            && running.Any(s => s.EventIds.Value.Overlaps(statement.EventIds.Value)))
        {
            Interlocked.Increment(ref _resentWhileRunning);
        }

        (string Code, string Message, string? SqlState)? fail;
        lock (_faultLock)
        {
            (fail, _fail) = (_fail, null);
            if (fail is null && _failWrites is { } always && statement.Operation is "merge_batch" or "insert_batch")
            {
                fail = always;
                Interlocked.Increment(ref _failedWrites);
            }

            if (fail is null && statement.Operation == "merge_batch" && ConflictRate > 0 && _random.NextDouble() < ConflictRate)
            {
                // Another writer committed to the files this MERGE read: Delta fails it, nothing is written.
                fail = ("BAD_REQUEST", "[DELTA_CONCURRENT_APPEND] ConcurrentAppendException: Files were added to the table by a concurrent update. Please try the operation again.", "2D521");
                Interlocked.Increment(ref _conflicts);
            }
        }

        _statements[statement.Id] = statement;
        if (fail is { } f)
        {
            statement.Fail(f.Code, f.Message, f.SqlState);
            statement.Execution = Task.CompletedTask;
        }
        else if (ready - now < DeferredFrom)
        {
            // A warm warehouse: the work overlaps the statement's time, and its result shows when that time is up.
            statement.Execution = ExecuteStatementAsync(statement, sql, parameters);
            await statement.Execution;
        }
        else
        {
            // It runs when its time comes, whether or not anyone is still waiting for it, unless it was cancelled first.
            statement.Execution = Task.Run(async () =>
            {
                await Task.Delay(ready - now);
                if (!statement.CancelRequested)
                {
                    await ExecuteStatementAsync(statement, sql, parameters);
                }
            });
        }

        if (Interlocked.Decrement(ref _commitThenDrop) >= 0 || roll < RandomFaultRate)
        {
            // Committed, then the reply is lost.
            statement.ReplyLost = true;
            context.Abort();
            return Results.Empty;
        }

        var wait = TimeSpan.FromSeconds(int.Parse((body["wait_timeout"]?.GetValue<string>() ?? "10s").TrimEnd('s'), CultureInfo.InvariantCulture));
        if (MaxWait is { } cap && cap < wait)
        {
            wait = cap;
        }

        var waited = statement.ReadyAt - DateTimeOffset.UtcNow;
        if (waited > TimeSpan.Zero && waited <= wait)
        {
            await Task.Delay(waited, context.RequestAborted);
        }

        return await ReplyAsync(statement);
    }

    private async Task<IResult> Status(HttpContext context, string id)
    {
        Requests.Enqueue(("status", DateTimeOffset.UtcNow));
        return !Authorized(context) ? Error(401, "UNAUTHENTICATED", "Invalid access token.")
            : _statements.TryGetValue(id, out var statement) ? await ReplyAsync(statement)
            : Error(404, "NOT_FOUND", "No such statement.");
    }

    private async Task<IResult> ReplyAsync(Statement statement)
    {
        if (DateTimeOffset.UtcNow >= statement.ReadyAt && !statement.CancelRequested && statement.Execution is { } running)
        {
            await running;
        }

        return Sent(statement, statement.Reply(ChunkSize));
    }

    // Replies as sent, counted: what a client downloads is the cost a dashboard pays.
    private IResult Sent(Statement statement, JsonObject reply)
    {
        var json = reply.ToJsonString();
        var bytes = System.Text.Encoding.UTF8.GetByteCount(json);
        Interlocked.Add(ref _responseBytes, bytes);
        _bytesByOperation.AddOrUpdate(statement.Operation, bytes, (_, n) => n + bytes);
        return Results.Content(json, "application/json");
    }

    private async Task ExecuteStatementAsync(Statement statement, string sql, Dictionary<string, string?> parameters)
    {
        try
        {
            await RunAsync(statement, sql, parameters);
        }
        catch (MissingTableException ex)
        {
            statement.Fail("BAD_REQUEST", $"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{ex.Message}` cannot be found.", "42P01");
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
        {
            // A constraint of the table refused a row, as a Delta CHECK constraint would.
            statement.Fail("BAD_REQUEST", $"[DELTA_VIOLATE_CONSTRAINT_WITH_VALUES] {ex.Message}", "23001");
        }
        finally
        {
            statement.Executed = true;
        }
    }

    private static string Operation(string sql) => sql.Split('\n')[0].Replace("-- usage_tracking:", "", StringComparison.Ordinal).Trim();

    // The event ids a write carries, to see a batch sent again while an earlier attempt still runs.
    private static HashSet<string> BatchIds(string sql, Dictionary<string, string?> parameters) =>
        Operation(sql) is "merge_batch" or "insert_batch" && parameters.GetValueOrDefault("batch") is { } batch
            && JsonNode.Parse(batch) is JsonArray rows
            ? rows.Select(r => r?["event_id"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal)
            : [];

    private IResult Chunk(HttpContext context, string id, int index) =>
        !Authorized(context) ? Error(401, "UNAUTHENTICATED", "Invalid access token.")
        : _statements.TryGetValue(id, out var statement) && statement.IsDone ? Sent(statement, statement.ChunkReply(index, ChunkSize))
        : Error(404, "NOT_FOUND", "No such result.");

    private IResult Cancel(HttpContext context, string id)
    {
        Interlocked.Increment(ref _cancelled);
        if (_statements.TryGetValue(id, out var statement))
        {
            statement.Cancel();
        }

        return Results.Ok();
    }

    private double NextDouble()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { error_code = code, message }, statusCode: status);

    private static Dictionary<string, string?> Parameters(JsonArray? parameters) =>
        parameters?.ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["value"]?.GetValue<string>()) ?? [];

    private SqliteUsageStore Store(string sql)
    {
        var table = TableOf(sql);
        return _stores.GetOrAdd(table, t => new SqliteUsageStore(Database, t));
    }

    /// <summary>The last part of the first backtick-quoted name: the emulator keeps one SQLite table per table name.</summary>
    private static string TableOf(string sql)
    {
        var start = sql.IndexOf('`', StringComparison.Ordinal);
        var names = new List<string>();
        var i = start;
        while (i >= 0 && i < sql.Length && sql[i] == '`')
        {
            var end = sql.IndexOf('`', i + 1);
            names.Add(sql[(i + 1)..end]);
            i = end + 1 < sql.Length && sql[end + 1] == '.' ? end + 2 : -1;
        }

        return names[^1];
    }

    private async Task RunAsync(Statement statement, string sql, Dictionary<string, string?> p)
    {
        var operation = sql.Split('\n')[0].Replace("-- usage_tracking:", "", StringComparison.Ordinal).Trim();
        _operations.AddOrUpdate(operation, 1, (_, n) => n + 1);
        if (operation == "query")
        {
            AdHocQuery(statement, sql[(sql.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
            return;
        }

        if (operation == "check")
        {
            PlanQuery(statement, sql[(sql.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
            return;
        }

        var store = Store(sql);
        var table = TableOf(sql);
        UsageQuery Query() => new(DateTimeOffset.Parse(p["since"]!, CultureInfo.InvariantCulture), DateTimeOffset.Parse(p["until"]!, CultureInfo.InvariantCulture),
            p.GetValueOrDefault("app"), p.GetValueOrDefault("user"))
        {
            // The reader's "action IN (:action0, :action1, …)", by its parameters; "AND false" for an empty list.
            Actions = p.ContainsKey("action0") ? [.. Enumerable.Range(0, p.Count).TakeWhile(i => p.ContainsKey($"action{i}")).Select(i => p[$"action{i}"]!)]
                : sql.Contains(" AND false", StringComparison.Ordinal) ? [] : null,
        };
        switch (operation)
        {
            case "describe":
                statement.Succeed([("col_name", "STRING"), ("data_type", "STRING"), ("comment", "STRING")], Describe(table) ?? throw new MissingTableException(table));
                break;
            case "create_table" or "add_columns":
                await store.EnsureSchemaAsync(allowUpgrade: true, default);
                statement.Succeed([], []);
                break;
            case "merge_batch" or "insert_batch":
                var array = JsonNode.Parse(p["batch"]!)!.AsArray();
                if (Malformed(array) is { } malformed)
                {
                    if (sql.Contains("map('mode', 'FAILFAST')", StringComparison.Ordinal))
                    {
                        statement.Fail("BAD_REQUEST", $"[MALFORMED_RECORD_IN_PARSING] Malformed records are detected in record parsing: {malformed}. Parse Mode: FAILFAST.", "22023");
                        break;
                    }

                    // PERMISSIVE, Spark's default: the array at the root becomes NULL, inline() yields no rows, the statement succeeds.
                    Interlocked.Increment(ref _silentlyEmptied);
                    array = [];
                }

                if (operation == "merge_batch" && Interlocked.Decrement(ref _loseRows) >= 0)
                {
                    array = [];
                }

                var events = array.Select(ToEvent).ToList();
                if (operation == "insert_batch")
                {
                    // A plain INSERT into the seed's 4 columns: the action arrives as the table will hold it.
                    events = events.Select(e => e with { Detail = null, IsError = false }).ToList();
                }

                var before = Count(table);
                await store.EnsureSchemaAsync(allowUpgrade: false, default);
                await store.WriteBatchAsync(events, default);
                statement.Succeed([("num_affected_rows", "LONG"), ("num_inserted_rows", "LONG")], [[$"{Count(table) - before}", $"{Count(table) - before}"]]);
                break;
            case "aggregate_hourly" or "aggregate_users" or "aggregate_sessions" or "aggregate_durations" or "aggregate_conversations":
                // The warehouse's GROUP BY, carried out by the SQLite store's own aggregates over the same rows.
                var aggregates = await store.GetAggregatesAsync(Query(), AggregateParts.All, default);
                static string Hour(DateTimeOffset hour) => (hour.ToUnixTimeSeconds() / 3600).ToString(CultureInfo.InvariantCulture);
                static string Day(DateOnly day) => (day.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber).ToString(CultureInfo.InvariantCulture);
                string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);
                switch (operation)
                {
                    // The three large parts packed as the statements pack them: concat_ws(';', collect_list(concat_ws(',', …))).
                    case "aggregate_hourly":
                        statement.Succeed([("action", "STRING"), ("model", "STRING"), ("hours", "STRING")],
                            aggregates.Hourly.GroupBy(h => (h.Action, h.Model)).Select(g => new[]
                            {
                                g.Key.Action, g.Key.Model, string.Join(';', g.Select(h => string.Join(',',
                                    (long.Parse(Hour(h.Hour), CultureInfo.InvariantCulture) - long.Parse(p["first_hour"]!, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture),
                                    $"{h.Events}", $"{h.Errors}", $"{h.DurationCount}", N(Math.Round(h.DurationSum, 3, MidpointRounding.AwayFromZero)), $"{h.InputTokens}", $"{h.OutputTokens}",
                                    h.CostUsd == 0 ? "" : h.CostUsd.ToString("0.000000", CultureInfo.InvariantCulture),
                                    h.TtftCount == 0 ? "" : $"{h.TtftCount}", h.TtftCount == 0 ? "" : N(Math.Round(h.TtftSum, 3, MidpointRounding.AwayFromZero))))),
                            }).ToList<string?[]>());
                        break;
                    case "aggregate_users":
                        statement.Succeed([("user", "STRING"), ("days", "STRING")],
                            aggregates.Users.GroupBy(u => u.User).Select(g => new[]
                            {
                                g.Key, string.Join(';', g.Select(u => string.Join(',', Day(u.Day), $"{u.Events}", $"{u.Errors}"))),
                            }).ToList<string?[]>());
                        break;
                    case "aggregate_sessions":
                        statement.Succeed([("day_index", "LONG"), ("action", "STRING"), ("sessions", "LONG")],
                            aggregates.Sessions.Select(x => new[] { Day(x.Day), x.Action, $"{x.Sessions}" }).ToList<string?[]>());
                        break;
                    case "aggregate_conversations":
                        statement.Succeed([("kind", "STRING"), ("day_index", "LONG"), ("bucket", "INT"), ("n", "LONG"), ("total", "DOUBLE")],
                            aggregates.MessageLengths.Select(m => new[] { "messages", Day(m.Day), $"{m.Bucket}", $"{m.Messages}", $"{m.Characters}" })
                                .Concat(aggregates.ConversationDurations.Select(c => new[] { "conversations", Day(c.Day), $"{c.Bucket}", $"{c.Conversations}", N(c.Seconds) }))
                                .ToList<string?[]>());
                        break;
                    default:
                        statement.Succeed([("hour_index", "LONG"), ("buckets", "STRING")],
                            aggregates.Durations.GroupBy(d => d.Hour).Select(g => new[]
                            {
                                Hour(g.Key), string.Join(';', g.Select(d => $"{d.Bucket},{d.Events}")),
                            }).ToList<string?[]>());
                        break;
                }

                break;
            case "count_funnel":
                // The warehouse's count(DISTINCT …) per step, carried out over the same rows read back.
                var reached = new Dictionary<string, (HashSet<string> Sessions, HashSet<string> Users)>(StringComparer.Ordinal);
                await foreach (var e in store.ReadEventsAsync(Query() with { User = null }, default))
                {
                    if (!reached.TryGetValue(e.Action, out var sets))
                    {
                        reached[e.Action] = sets = ([], []);
                    }

                    if (e.SessionId is { Length: > 0 } session)
                    {
                        sets.Sessions.Add($"{e.Timestamp.UtcDateTime:yyyy-MM-dd} {session}");
                    }

                    if (FunnelSteps.UserUnit(e) is { } unit)
                    {
                        sets.Users.Add(unit);
                    }
                }

                statement.Succeed([("action", "STRING"), ("sessions", "LONG"), ("users", "LONG")],
                    reached.Select(r => new[] { r.Key, $"{r.Value.Sessions.Count}", $"{r.Value.Users.Count}" }).ToList<string?[]>());
                break;
            case "confirm_batch":
                var ids = JsonNode.Parse(p["batch"]!)!.AsArray().Select(n => n?["event_id"]?.GetValue<string>()).Where(id => id is not null).Distinct().ToList();
                statement.Succeed([("present", "LONG")], [[$"{CountIds(table, ids!)}"]]);
                break;
            case "read_latest":
                var limit = int.Parse(System.Text.RegularExpressions.Regex.Match(sql, @"LIMIT (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
                var latest = await store.GetLatestAsync(p.GetValueOrDefault("app"), limit, default);
                statement.Succeed([("timestamp", "TIMESTAMP"), ("app_name", "STRING"), ("user", "STRING"), ("action", "STRING"), ("duration_ms", "DOUBLE")],
                    latest.Select(e => new[] { Ts(e.Timestamp), e.AppName, e.User, e.Action, e.DurationMs?.ToString("R", CultureInfo.InvariantCulture) }).ToList<string?[]>());
                break;
            case "read_extent":
                var extent = await store.GetExtentAsync(p.GetValueOrDefault("app"), default);
                statement.Succeed([("rows", "LONG"), ("oldest", "TIMESTAMP"), ("newest", "TIMESTAMP")],
                    [[$"{extent.Rows}", extent.Oldest is { } oldest ? Ts(oldest) : null, extent.Newest is { } newest ? Ts(newest) : null]]);
                break;
            case "read_events":
                var rows = new List<string?[]>();
                var all = new List<UsageEvent>();
                IEnumerable<UsageEvent> page = all;
                if (sql.Contains("ORDER BY timestamp, coalesce(event_id, '')", StringComparison.Ordinal))
                {
                    // Keyset paging: after the last row of the previous page, in (timestamp, event_id) order, LIMIT n. The
                    // store streams rows in timestamp order, so reading stops once the page is full and its last timestamp passed.
                    var pageRows = int.Parse(System.Text.RegularExpressions.Regex.Match(sql, @"LIMIT (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
                    var range = Query();
                    (DateTimeOffset Ts, string Id)? after = p.GetValueOrDefault("after_ts") is { } afterTs
                        ? (DateTimeOffset.Parse(afterTs, CultureInfo.InvariantCulture), p.GetValueOrDefault("after_id") ?? "")
                        : null;
                    if (after is { } start && start.Ts > range.Since)
                    {
                        range = range with { Since = start.Ts };
                    }

                    await foreach (var e in store.ReadEventsAsync(range, default))
                    {
                        if (after is { } a && !(e.Timestamp > a.Ts || (e.Timestamp == a.Ts && string.CompareOrdinal(e.EventId ?? "", a.Id) > 0)))
                        {
                            continue;
                        }

                        if (all.Count >= pageRows && e.Timestamp > all[pageRows - 1].Timestamp)
                        {
                            break;
                        }

                        all.Add(e);
                    }

                    page = all.OrderBy(e => e.Timestamp).ThenBy(e => e.EventId ?? "", StringComparer.Ordinal).Take(pageRows);
                }
                else
                {
                    await foreach (var e in store.ReadEventsAsync(Query(), default))
                    {
                        all.Add(e);
                    }
                }

                foreach (var e in page)
                {
                    rows.Add([Ts(e.Timestamp), e.AppName, e.User, e.Action, e.EventId, e.SessionId, e.Detail,
                        e.DurationMs?.ToString("R", CultureInfo.InvariantCulture), e.Model, e.InputTokens?.ToString(CultureInfo.InvariantCulture),
                        e.OutputTokens?.ToString(CultureInfo.InvariantCulture), e.CostUsd?.ToString(CultureInfo.InvariantCulture), e.PropertiesJson, e.IsError ? "true" : "false"]);
                }

                (string, string)[] columns = [("timestamp", "TIMESTAMP"), ("app_name", "STRING"), ("user", "STRING"), ("action", "STRING"), ("event_id", "STRING"), ("session_id", "STRING"),
                    ("detail", "STRING"), ("duration_ms", "DOUBLE"), ("model", "STRING"), ("input_tokens", "LONG"), ("output_tokens", "LONG"), ("cost_usd", "DECIMAL"), ("properties", "STRING"),
                    ("is_error", "BOOLEAN")];
                var present = Describe(table)!.Select(r => r[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
                var keep = Enumerable.Range(0, columns.Length).Where(i => present.Contains(columns[i].Item1)).ToArray();
                statement.Succeed(keep.Select(i => columns[i]).ToList(), rows.Select(r => keep.Select(i => r[i]).ToArray()).ToList());
                lock (_faultLock)
                {
                    LargestResultRows = Math.Max(LargestResultRows, rows.Count);
                }

                break;
            case "delete_older":
                var deleted = await store.DeleteOlderThanAsync(DateTimeOffset.Parse(p["cutoff"]!, CultureInfo.InvariantCulture), p.GetValueOrDefault("app"), default);
                statement.Succeed([("num_affected_rows", "LONG")], [[$"{deleted}"]]);
                break;
            case "delete_users":
                var gone = await store.DeleteUsersAsync(JsonSerializer.Deserialize<string[]>(p["users"]!)!, default);
                statement.Succeed([("num_affected_rows", "LONG")], [[$"{gone}"]]);
                break;
            default:
                statement.Fail("BAD_REQUEST", $"The emulator does not understand operation '{operation}'.", "42000");
                break;
        }
    }

    /// <summary>
    /// <c>EXPLAIN query</c>, answered as Spark does: one <c>plan</c> row, which for a query that cannot be analysed reads
    /// "Error occurred during query planning:" and the error instead of failing the statement.
    /// </summary>
    private void PlanQuery(Statement statement, string sql)
    {
        if (!sql.StartsWith("EXPLAIN ", StringComparison.Ordinal))
        {
            statement.Fail("BAD_REQUEST", "[PARSE_SYNTAX_ERROR] The emulator plans only EXPLAIN statements.", "42601");
            return;
        }

        using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"EXPLAIN QUERY PLAN {SqliteNames(sql["EXPLAIN ".Length..])}";
        try
        {
            using var reader = command.ExecuteReader();
            statement.Succeed([("plan", "STRING")], [["== Physical Plan ==\n(emulated)"]]);
        }
        catch (SqliteException ex)
        {
            statement.Succeed([("plan", "STRING")], [[$"Error occurred during query planning:\n[UNRESOLVED_COLUMN] {ex.Message}"]]);
        }
    }

    private static string SqliteNames(string sql) => System.Text.RegularExpressions.Regex.Replace(sql, @"(`[^`]+`\.)+`([^`]+)`", "\"$2\"");

    private void AdHocQuery(Statement statement, string sql)
    {
        var text = SqliteNames(sql);
        using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = text;
        try
        {
            using var reader = command.ExecuteReader();
            var rows = new List<string?[]>();
            var types = new string[reader.FieldCount];
            while (reader.Read())
            {
                var row = new string?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    types[i] ??= value switch { long => "LONG", double => "DOUBLE", null => null!, _ => "STRING" };
                    row[i] = value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture);
                }

                rows.Add(row);
            }

            statement.Succeed(Enumerable.Range(0, reader.FieldCount).Select(i => (reader.GetName(i), types[i] ?? "STRING")).ToList(), rows);
        }
        catch (SqliteException ex)
        {
            statement.Fail("BAD_REQUEST", $"[UNRESOLVED_COLUMN] {ex.Message}", "42703");
        }
    }

    /// <summary>The first field of the batch that does not fit its declared type in the store's from_json schema, or null.</summary>
    private static string? Malformed(JsonArray batch)
    {
        string[] texts = ["event_id", "ts", "app_name", "user", "action", "session_id", "detail", "model", "properties"];
        foreach (var node in batch)
        {
            if (node is not JsonObject row)
            {
                return "an element is not an object";
            }

            foreach (var (name, value) in row)
            {
                var kind = value?.GetValueKind() ?? JsonValueKind.Null;
                var fits = kind == JsonValueKind.Null || name switch
                {
                    _ when texts.Contains(name) => kind == JsonValueKind.String,
                    "duration_ms" => kind == JsonValueKind.Number,
                    "input_tokens" or "output_tokens" => kind == JsonValueKind.Number && value!.AsValue().TryGetValue<long>(out _),
                    // DECIMAL(18,6): at most 12 digits before the point.
                    "cost_usd" => kind == JsonValueKind.Number && value!.AsValue().TryGetValue<decimal>(out var cost) && Math.Abs(cost) < 1_000_000_000_000m,
                    "is_error" => kind is JsonValueKind.True or JsonValueKind.False,
                    _ => true,
                };
                if (!fits)
                {
                    return $"field {name} does not fit its type";
                }
            }
        }

        return null;
    }

    private static UsageEvent ToEvent(JsonNode? node) => new()
    {
        EventId = node!["event_id"]?.GetValue<string>(),
        Timestamp = DateTimeOffset.Parse(node["ts"]!.GetValue<string>(), CultureInfo.InvariantCulture),
        AppName = node["app_name"]?.GetValue<string>(),
        User = node["user"]?.GetValue<string>(),
        Action = node["action"]?.GetValue<string>() ?? "",
        SessionId = node["session_id"]?.GetValue<string>(),
        Detail = node["detail"]?.GetValue<string>(),
        DurationMs = node["duration_ms"]?.GetValue<double>(),
        Model = node["model"]?.GetValue<string>(),
        InputTokens = node["input_tokens"]?.GetValue<long>(),
        OutputTokens = node["output_tokens"]?.GetValue<long>(),
        CostUsd = node["cost_usd"]?.GetValue<decimal>(),
        PropertiesJson = node["properties"]?.GetValue<string>(),
        IsError = node["is_error"]?.GetValue<bool>() ?? false,
    };

    private static string Ts(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private long CountIds(string table, IReadOnlyList<string> ids)
    {
        using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(DISTINCT event_id) FROM \"{table}\" WHERE event_id IN (SELECT value FROM json_each($ids))";
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids));
        return (long)command.ExecuteScalar()!;
    }

    private List<string?[]>? Describe(string table)
    {
        using var connection = new SqliteConnection($"Data Source={Database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, type FROM pragma_table_info($t)";
        command.Parameters.AddWithValue("$t", table);
        using var reader = command.ExecuteReader();
        var rows = new List<string?[]>();
        while (reader.Read())
        {
            rows.Add([reader.GetString(0), reader.GetString(1).ToLowerInvariant() switch { "text" or "string" => "string", "real" => "double", "integer" => "bigint", var t => t }, null]);
        }

        return rows.Count == 0 ? null : rows;
    }

    private long Count(string table)
    {
        using var connection = new SqliteConnection($"Data Source={Database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return (long)command.ExecuteScalar()!;
    }

    private sealed class MissingTableException(string table) : Exception(table);

    private sealed class Statement(string id, DateTimeOffset readyAt)
    {
        /// <summary>The most an INLINE result may hold: beyond it the warehouse aborts the statement.</summary>
        private const long InlineLimit = 25L << 20;

        private volatile string _state = "SUCCEEDED";
        private JsonObject? _error;
        private IReadOnlyList<(string Name, string Type)> _columns = [];
        private IReadOnlyList<string?[]> _rows = [];

        public string Id { get; } = id;

        public DateTimeOffset ReadyAt { get; } = readyAt;

        public string Operation { get; init; } = "";

        public Lazy<HashSet<string>> EventIds { get; init; } = new(() => []);

        public Task? Execution { get; set; }

        public bool Executed { get; set; }

        public bool CancelRequested { get; private set; }

        /// <summary>The emulator dropped the reply on purpose (a fault): the client cannot know this statement.</summary>
        public bool ReplyLost { get; set; }

        /// <summary>The client was told how the statement ended.</summary>
        public bool ClientSawEnd { get; private set; }

        public bool Finished => _state == "CANCELED" || Executed || _error is not null;

        public bool IsDone => (DateTimeOffset.UtcNow >= ReadyAt && (Execution?.IsCompleted ?? true)) || _state == "CANCELED";

        /// <summary>The request's byte_limit: the result is cut there and flagged truncated.</summary>
        public long? ByteLimit { get; init; }

        private bool _truncated;

        public void Succeed(IReadOnlyList<(string, string)> columns, IReadOnlyList<string?[]> rows)
        {
            // What an INLINE JSON_ARRAY result weighs, near enough: the values, quoted, with separators.
            long size = 0;
            var kept = 0;
            foreach (var row in rows)
            {
                var rowSize = row.Sum(v => (v?.Length ?? 4) + 3) + 2;
                if (ByteLimit is { } limit && size + rowSize > limit)
                {
                    _truncated = true;
                    break;
                }

                size += rowSize;
                kept++;
            }

            if (!_truncated && size > InlineLimit)
            {
                Fail("BAD_REQUEST", $"Inline byte limit exceeded. Statement produced more than {InlineLimit} bytes of inline data.", null);
                return;
            }

            (_state, _columns, _rows) = ("SUCCEEDED", columns, _truncated ? rows.Take(kept).ToList() : rows);
        }

        public void Fail(string code, string message, string? sqlState) =>
            (_state, _error) = ("FAILED", new JsonObject { ["error_code"] = code, ["message"] = message, ["sql_state"] = sqlState });

        public void Cancel()
        {
            CancelRequested = true;
            // A cancel that arrives after the statement ran changes nothing: cancelling races completion.
            if (!Executed && _error is null)
            {
                _state = "CANCELED";
            }
        }

        public JsonObject Reply(int chunkSize)
        {
            var reply = new JsonObject { ["statement_id"] = Id };
            if (!IsDone)
            {
                reply["status"] = new JsonObject { ["state"] = DateTimeOffset.UtcNow < ReadyAt - TimeSpan.FromMilliseconds(100) ? "PENDING" : "RUNNING" };
                return reply;
            }

            ClientSawEnd = true;
            reply["status"] = _error is null ? new JsonObject { ["state"] = _state } : new JsonObject { ["state"] = _state, ["error"] = _error.DeepClone(), ["sql_state"] = _error["sql_state"]?.DeepClone() };
            if (_state != "SUCCEEDED")
            {
                return reply;
            }

            var chunks = Math.Max(1, (_rows.Count + chunkSize - 1) / chunkSize);
            reply["manifest"] = new JsonObject
            {
                ["format"] = "JSON_ARRAY",
                ["schema"] = new JsonObject
                {
                    ["column_count"] = _columns.Count,
                    ["columns"] = new JsonArray(_columns.Select((c, i) => (JsonNode)new JsonObject { ["name"] = c.Name, ["position"] = i, ["type_name"] = c.Type, ["type_text"] = c.Type }).ToArray()),
                },
                ["total_row_count"] = _rows.Count,
                ["total_chunk_count"] = chunks,
                ["truncated"] = _truncated,
            };
            reply["result"] = ChunkReply(0, chunkSize);
            return reply;
        }

        public JsonObject ChunkReply(int index, int chunkSize)
        {
            var chunks = Math.Max(1, (_rows.Count + chunkSize - 1) / chunkSize);
            var slice = _rows.Skip(index * chunkSize).Take(chunkSize).ToList();
            var chunk = new JsonObject
            {
                ["chunk_index"] = index,
                ["row_offset"] = index * chunkSize,
                ["row_count"] = slice.Count,
                ["data_array"] = new JsonArray(slice.Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray())).ToArray()),
            };
            if (index + 1 < chunks)
            {
                chunk["next_chunk_index"] = index + 1;
                chunk["next_chunk_internal_link"] = $"/api/2.0/sql/statements/{Id}/result/chunks/{index + 1}";
            }

            return chunk;
        }
    }
}
