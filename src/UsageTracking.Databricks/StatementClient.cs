using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UsageTracking.Databricks;

/// <summary>A named statement parameter: <c>:name</c> in the text; the value travels as a string (or null), typed by <paramref name="Type"/>.</summary>
internal sealed record StatementParameter(string Name, string? Value, string Type = "STRING");

/// <summary>A finished statement's rows, every value as the JSON_ARRAY format gives it (a string or null), with the column types.</summary>
internal sealed record StatementResult(IReadOnlyList<(string Name, string Type)> Columns, IReadOnlyList<string?[]> Rows)
{
    /// <summary>The warehouse cut the result at the request's <c>byte_limit</c> (<c>manifest.truncated</c>).</summary>
    public bool Truncated { get; init; }

    /// <summary>
    /// The value of <paramref name="column"/> in <paramref name="row"/>, converted by the manifest's <c>type_name</c>:
    /// integers to long, DOUBLE/FLOAT to double, DECIMAL to decimal, BOOLEAN to bool, DATE to DateOnly, TIMESTAMP to a UTC
    /// DateTimeOffset (ISO-8601 forms, leniently), anything else as text. Null stays null.
    /// </summary>
    public object? Value(string?[] row, string column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i].Name, column, StringComparison.OrdinalIgnoreCase))
            {
                return ValueAt(row, i);
            }
        }

        return null;
    }

    /// <summary>The value at a column's position: a result may have two columns of one name (<c>SELECT a.id, b.id</c>).</summary>
    public object? ValueAt(string?[] row, int index)
    {
        if (index < 0 || index >= row.Length || index >= Columns.Count || row[index] is not { } text)
        {
            return null;
        }

        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return Columns[index].Type.ToUpperInvariant() switch
        {
            "LONG" or "INT" or "SHORT" or "BYTE" => long.Parse(text, invariant),
            "DOUBLE" or "FLOAT" => double.Parse(text, invariant),
            // DECIMAL(38, s) can hold more digits than decimal's 28-29: such a value arrives as the nearest double.
            "DECIMAL" => decimal.TryParse(text, System.Globalization.NumberStyles.Float, invariant, out var exact) ? exact : double.Parse(text, invariant),
            "BOOLEAN" => bool.Parse(text),
            "DATE" => DateOnly.Parse(text, invariant),
            "TIMESTAMP" => DateTimeOffset.Parse(text, invariant, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal),
            _ => text,
        };
    }
}

/// <summary>
/// The SQL Statement Execution API: execute with a short hybrid wait (<c>wait_timeout</c> 5 s, then <c>CONTINUE</c>), the
/// submission not cancelled by the caller so the statement's id always comes back, poll with backoff to a terminal state
/// (a statement the caller stops waiting for is cancelled and polled to its end), follow <c>next_chunk_index</c> to the last chunk, cancel when the caller cancels. A 429 or
/// 503 means the request was not executed, so it is repeated after <c>Retry-After</c> (a few times, bounded); anything else
/// is the caller's to classify. The token is sent only in the Authorization header and never appears in an exception.
/// </summary>
internal sealed class StatementClient : IDisposable
{
    private const int ThrottleAttempts = 5;
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromSeconds(2);

    /// <summary>How long the server holds an execute reply for the result (its <c>wait_timeout</c>).</summary>
    internal static readonly TimeSpan SubmitWait = TimeSpan.FromSeconds(5);

    /// <summary>How much longer than <see cref="SubmitWait"/> the client waits for that reply before giving the request up.</summary>
    private static readonly TimeSpan SubmitGrace = TimeSpan.FromSeconds(25);

    /// <summary>How long a cancelled statement is polled for its end.</summary>
    internal static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http;
    private readonly DatabricksSettings _settings;
    private readonly TokenSource _tokens;
    private readonly TimeProvider _time;
    private readonly string? _app;
    private long _statements;
    private volatile bool _tagsRefused;

    /// <summary>A client for one workspace and warehouse.</summary>
    /// <param name="settings">Workspace, warehouse and credentials.</param>
    /// <param name="time">The clock.</param>
    /// <param name="handler">The HTTP handler; null for a pooled one.</param>
    /// <param name="app">The application, sent as the <c>app</c> query tag; null (or anything that looks like an e-mail) for none.</param>
    public StatementClient(DatabricksSettings settings, TimeProvider time, HttpMessageHandler? handler = null, string? app = null)
    {
        _settings = settings;
        _time = time;
        // Tags are stored as plain text and may be replicated: an application's name, never anything that could name a person.
        _app = string.IsNullOrWhiteSpace(app) || app.Contains('@', StringComparison.Ordinal) ? null : app.Trim();
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
        {
            BaseAddress = settings.BaseAddress,
            Timeout = TimeSpan.FromSeconds(90),
        };
        _tokens = new TokenSource(settings, _http, time);
    }

    // UTF-8 as it is: the default encoder writes every non-ASCII character as \uXXXX, up to six times the bytes. The body is
    // JSON sent to an API, never HTML, so the relaxed encoder's unescaped characters are safe here.
    internal static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Statements sent since start (for measurements).</summary>
    public long StatementsSent => Interlocked.Read(ref _statements);

    public string Where => _settings.ToString();

    /// <summary>
    /// Runs one statement to its end; <paramref name="byteLimit"/> cuts its result (see <see cref="StatementResult.Truncated"/>).
    /// The statement is labelled with <paramref name="operation"/> twice: a leading <c>-- usage_tracking:&lt;operation&gt;</c>
    /// comment, which every warehouse keeps in its query history, and the query tags <c>client</c>, <c>operation</c> and
    /// <c>app</c> (Public Preview), which <c>system.query.history.query_tags</c> groups by. A workspace that refuses the tags
    /// gets the statement again without them, once, and no tags from then on.
    /// </summary>
    /// <param name="operation">What the statement does (a constant of the caller's: <c>merge_batch</c>, <c>aggregate_hourly</c>, …).</param>
    /// <param name="sql">The statement.</param>
    /// <param name="parameters">Its named parameters.</param>
    /// <param name="cancellationToken">Stops waiting; a statement already submitted is then cancelled and waited for.</param>
    /// <param name="byteLimit">The result's <c>byte_limit</c>, or null for none.</param>
    public async Task<StatementResult> ExecuteAsync(string operation, string sql, IReadOnlyList<StatementParameter> parameters, CancellationToken cancellationToken,
        long? byteLimit = null)
    {
        var body = new JsonObject
        {
            ["statement"] = $"-- usage_tracking:{operation}\n{sql}",
            ["warehouse_id"] = _settings.WarehouseId,
            // The server holds the reply up to 5 s (the shortest wait it takes), so a warm warehouse's result comes back in
            // one call; after that the statement continues and the reply carries its id.
            ["wait_timeout"] = $"{(int)SubmitWait.TotalSeconds}s",
            ["on_wait_timeout"] = "CONTINUE",
            ["disposition"] = "INLINE",
            ["format"] = "JSON_ARRAY",
            ["parameters"] = new JsonArray(parameters.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["value"] = p.Value, ["type"] = p.Type }).ToArray()),
        };
        if (byteLimit is { } bytes)
        {
            body["byte_limit"] = bytes;
        }

        var tagged = !_tagsRefused;
        if (tagged)
        {
            body["query_tags"] = QueryTags(operation);
        }

        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _statements);
        // Submitted on a token of its own, not the caller's: a caller that gives up during the server's wait would otherwise
        // never learn the statement's id, and could neither cancel it nor know when it is safe to send the batch again.
        JsonNode reply;
        using (var submit = new CancellationTokenSource(SubmitWait + SubmitGrace, _time))
        {
            try
            {
                reply = await SendAsync(HttpMethod.Post, "api/2.0/sql/statements", body, idempotent: false, submit.Token).ConfigureAwait(false);
            }
            catch (DatabricksException refused) when (tagged && refused.HttpStatus == 400)
            {
                // A 400 is a request refused before it ran, so it can be sent again. Without the tags: if that one is taken,
                // this workspace does not take tags; if it is refused as well, the request was wrong for another reason.
                body.Remove("query_tags");
                reply = await SendAsync(HttpMethod.Post, "api/2.0/sql/statements", body, idempotent: false, submit.Token).ConfigureAwait(false);
                _tagsRefused = true;
            }
        }

        var id = reply["statement_id"]?.GetValue<string>() ?? throw new DatabricksException("INVALID_REPLY", "The statement reply had no statement_id.", null, transient: true);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            reply = await PollAsync(id, reply, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            // Not sent again before this one is known to have ended: cancel it and wait for its end.
            throw new StatementCancelledException(id, await SettleAsync(id).ConfigureAwait(false), ex, cancellationToken);
        }

        switch (State(reply))
        {
            case "SUCCEEDED":
                return await ReadResultAsync(id, reply, cancellationToken).ConfigureAwait(false);
            case "FAILED":
                var error = reply["status"]?["error"];
                var code = error?["error_code"]?.GetValue<string>() ?? "UNKNOWN";
                throw new DatabricksException(code, error?["message"]?.GetValue<string>() ?? "The statement failed.",
                    reply["status"]?["sql_state"]?.GetValue<string>() ?? error?["sql_state"]?.GetValue<string>(),
                    transient: code is "TEMPORARILY_UNAVAILABLE" or "RESOURCE_EXHAUSTED" or "WORKSPACE_TEMPORARILY_UNAVAILABLE" or "SERVICE_UNDER_MAINTENANCE"
                        or "DEADLINE_EXCEEDED" or "ABORTED" or "INTERNAL_ERROR" or "IO_ERROR");
            default:
                throw new DatabricksException(State(reply) ?? "UNKNOWN", $"The statement ended {State(reply)}.", null, transient: true);
        }
    }

    private async Task<StatementResult> ReadResultAsync(string id, JsonNode reply, CancellationToken cancellationToken)
    {
        var columns = reply["manifest"]?["schema"]?["columns"]?.AsArray()
            .Select(c => (c!["name"]!.GetValue<string>(), c["type_name"]?.GetValue<string>() ?? "STRING")).ToList() ?? [];
        var expectedChunks = reply["manifest"]?["total_chunk_count"]?.GetValue<int>() ?? 0;
        var rows = new List<string?[]>();
        var chunk = reply["result"];
        var chunks = 0;
        while (chunk is not null)
        {
            chunks++;
            foreach (var row in chunk["data_array"]?.AsArray() ?? [])
            {
                rows.Add(row!.AsArray().Select(v => v?.GetValue<string>()).ToArray());
            }

            if (chunk["next_chunk_index"]?.GetValue<int>() is not { } next)
            {
                break;
            }

            chunk = await SendAsync(HttpMethod.Get, $"api/2.0/sql/statements/{id}/result/chunks/{next}", null, idempotent: true, cancellationToken).ConfigureAwait(false);
        }

        if (chunks < expectedChunks)
        {
            throw new DatabricksException("TRUNCATED_RESULT", $"The result had {expectedChunks} chunks but only {chunks} were returned.", null, transient: true);
        }

        return new StatementResult(columns, rows) { Truncated = reply["manifest"]?["truncated"]?.GetValue<bool>() ?? false };
    }

    /// <summary>
    /// Polls a statement (100 ms doubling to <see cref="MaxPollDelay"/>) until it is no longer PENDING or RUNNING, starting
    /// from <paramref name="reply"/> when there is one; its last status.
    /// </summary>
    private async Task<JsonNode> PollAsync(string id, JsonNode? reply, CancellationToken cancellationToken)
    {
        reply ??= await SendAsync(HttpMethod.Get, $"api/2.0/sql/statements/{id}", null, idempotent: true, cancellationToken).ConfigureAwait(false);
        var delay = TimeSpan.FromMilliseconds(100);
        while (State(reply) is "PENDING" or "RUNNING")
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPollDelay.Ticks));
            reply = await SendAsync(HttpMethod.Get, $"api/2.0/sql/statements/{id}", null, idempotent: true, cancellationToken).ConfigureAwait(false);
        }

        return reply;
    }

    /// <summary>
    /// Cancels a statement and polls it until it ends (a cancel can race completion, and may silently fail): its final
    /// state, or null when it did not end within <see cref="SettleTimeout"/>.
    /// </summary>
    private async Task<string?> SettleAsync(string id)
    {
        using var timeout = new CancellationTokenSource(SettleTimeout, _time);
        try
        {
            await SendAsync(HttpMethod.Post, $"api/2.0/sql/statements/{id}/cancel", null, idempotent: true, timeout.Token).ConfigureAwait(false);
            return State(await PollAsync(id, reply: null, timeout.Token).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is HttpRequestException or DatabricksException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// One call. 429 and 503 are repeated after Retry-After (the request was not executed). A dropped connection is
    /// repeated only for idempotent calls (polls, chunks, cancel); for an execute it is the caller's to decide.
    /// </summary>
    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, bool idempotent, CancellationToken cancellationToken)
    {
        var refreshed = false;
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            var token = await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(Json), Encoding.UTF8, "application/json");
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (idempotent && attempt < ThrottleAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return JsonNode.Parse(text.Length == 0 ? "{}" : text) ?? new JsonObject();
                }

                var (code, message) = ErrorOf(text);
                if (response.StatusCode == HttpStatusCode.Unauthorized && !refreshed && _tokens.Forget(token))
                {
                    // A cached OAuth token the workspace no longer takes (revoked, or expired early): fetch one more, once.
                    // The request was refused, not executed, so sending it again cannot run it twice.
                    refreshed = true;
                    continue;
                }

                if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < ThrottleAttempts)
                {
                    var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    await Task.Delay(wait > TimeSpan.FromSeconds(60) ? TimeSpan.FromSeconds(60) : wait, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var status = (int)response.StatusCode;
                throw new DatabricksException(code ?? $"HTTP_{status}", $"HTTP {status} from {_settings.BaseAddress.Host}: {message ?? response.ReasonPhrase}", null,
                    transient: status is 408 or 429 or 500 or 502 or 503 or 504, httpStatus: status);
            }
        }
    }

    private JsonArray QueryTags(string operation)
    {
        var tags = new JsonArray(
            new JsonObject { ["key"] = "client", ["value"] = "usage_tracking" },
            new JsonObject { ["key"] = "operation", ["value"] = operation });
        if (_app is not null)
        {
            tags.Add(new JsonObject { ["key"] = "app", ["value"] = _app });
        }

        return tags;
    }

    private static (string? Code, string? Message) ErrorOf(string text)
    {
        try
        {
            var node = JsonNode.Parse(text);
            return (node?["error_code"]?.GetValue<string>(), node?["message"]?.GetValue<string>());
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? State(JsonNode reply) => reply["status"]?["state"]?.GetValue<string>();

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// The bearer token: the personal access token, or an OAuth machine-to-machine token fetched from <c>/oidc/v1/token</c>,
/// cached and refreshed five minutes before it expires.
/// </summary>
internal sealed class TokenSource(DatabricksSettings settings, HttpClient http, TimeProvider time)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _token;
    private DateTimeOffset _refreshAt;

    public int Fetches { get; private set; }

    /// <summary>Drops <paramref name="token"/> if it is the cached OAuth token; false for a personal access token (nothing to refresh).</summary>
    public bool Forget(string token)
    {
        if (settings.AccessToken is not null)
        {
            return false;
        }

        _lock.Wait();
        try
        {
            if (_token != token)
            {
                // Another call refreshed it already.
                return _token is not null;
            }

            _token = null;
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (settings.AccessToken is { } pat)
        {
            return pat;
        }

        if (_token is { } cached && time.GetUtcNow() < _refreshAt)
        {
            return cached;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is { } again && time.GetUtcNow() < _refreshAt)
            {
                return again;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "oidc/v1/token")
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", "all-apis")]),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.ClientId}:{settings.ClientSecret}")));
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new DatabricksException("OAUTH_FAILED", $"OAuth token request to {settings.BaseAddress.Host} failed with HTTP {(int)response.StatusCode}; check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET.",
                    null, transient: (int)response.StatusCode >= 500, httpStatus: (int)response.StatusCode);
            }

            var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            _token = reply?["access_token"]?.GetValue<string>() ?? throw new DatabricksException("OAUTH_FAILED", "The OAuth reply had no access_token.", null, transient: true);
            var lifetime = TimeSpan.FromSeconds(reply?["expires_in"]?.GetValue<int>() ?? 3600);
            _refreshAt = time.GetUtcNow() + lifetime - TimeSpan.FromMinutes(5);
            Fetches++;
            return _token;
        }
        finally
        {
            _lock.Release();
        }
    }
}

/// <summary>
/// The caller stopped waiting for a statement, which was then cancelled and polled: <see cref="FinalState"/> says how it
/// ended (<c>CANCELED</c>, <c>FAILED</c>, or <c>SUCCEEDED</c> when it finished before the cancel took), or null when that is
/// unknown — then it may still run, and a write must not be sent again as if it had not.
/// </summary>
public sealed class StatementCancelledException(string statementId, string? finalState, Exception inner, CancellationToken token)
    : OperationCanceledException($"The statement {statementId} was cancelled ({finalState ?? "its end is unknown"}).", inner, token)
{
    /// <summary>The statement's id.</summary>
    public string StatementId { get; } = statementId;

    /// <summary>How it ended, or null when unknown.</summary>
    public string? FinalState { get; } = finalState;

    /// <summary>Whether it is known not to have changed anything.</summary>
    public bool HadNoEffect => FinalState is "CANCELED" or "FAILED";
}

/// <summary>A Databricks call failed: its error code, SQL state, and whether repeating it may succeed. Never carries a secret.</summary>
public sealed class DatabricksException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">Databricks' error code, e.g. <c>TABLE_OR_VIEW_NOT_FOUND</c>.</param>
    /// <param name="message">One sentence.</param>
    /// <param name="sqlState">The SQLSTATE, when given.</param>
    /// <param name="transient">Whether repeating may succeed.</param>
    /// <param name="httpStatus">The HTTP status, for rejected requests.</param>
    public DatabricksException(string errorCode, string message, string? sqlState, bool transient, int? httpStatus = null)
        : base(message)
    {
        ErrorCode = errorCode;
        SqlState = sqlState;
        IsTransient = transient;
        HttpStatus = httpStatus;
    }

    /// <summary>Databricks' error code.</summary>
    public string ErrorCode { get; }

    /// <summary>The SQLSTATE, when given.</summary>
    public string? SqlState { get; }

    /// <summary>Whether repeating the call may succeed.</summary>
    public bool IsTransient { get; }

    /// <summary>The HTTP status of a rejected request, or null when the statement ran and failed.</summary>
    public int? HttpStatus { get; }

    /// <summary>True when a non-idempotent write may have committed although the call failed.</summary>
    public bool IsUncertain { get; init; }
}
