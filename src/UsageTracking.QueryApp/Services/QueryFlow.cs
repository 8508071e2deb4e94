using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation;
using UsageTracking.QueryApp.Presentation;
using UsageTracking.QueryApp.Sql;
using UsageTracking.Reporting;
using UsageTracking.Reporting.Tables;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// The app's steps — suggest, generate, choose columns, edit, run, chart, summarise, download, rate — each tracked
/// with its <see cref="Actions"/> constant, the session id and the step's server time. SQL text goes into the event's
/// properties; result data never does.
/// </summary>
public sealed partial class QueryFlow(
    DataSourceCatalog catalog,
    ISqlGenerator generator,
    ExampleStore examples,
    QuestionBank questions,
    RunStore runs,
    QuerySlots slots,
    IUsageTracker tracker,
    IOptions<QueryAppOptions> options,
    TimeProvider time,
    ILogger<QueryFlow> logger)
{
    private readonly QueryAppOptions _options = options.Value;

    /// <summary>Three suggested questions for a source, avoiding <paramref name="shown"/>. Showing them is not a step of the user's.</summary>
    public QuestionsReply Suggest(string? sourceId, IReadOnlyCollection<string>? shown)
    {
        var source = catalog.Get(sourceId);
        return new QuestionsReply(source.Id, questions.Pick(source.Domain, 3, shown));
    }

    /// <summary>The user clicked a suggested question (<see cref="Actions.ViewRandomQuestions"/>, as the earlier app meant it).</summary>
    public void SuggestionPicked(UserSession session, string? sourceId, string? question)
    {
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        Track(session, Actions.ViewRandomQuestions, watch, new() { ["source"] = source.Id, ["question"] = question });
    }

    /// <summary>Question → SQL.</summary>
    public async Task<GenerateReply> GenerateAsync(UserSession session, string? sourceId, string? question, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        question = (question ?? "").Trim();
        if (question.Length is 0 or > 2_000)
        {
            return new GenerateReply(null, generator.Name, question.Length == 0 ? "Type a question first." : "The question is too long (2,000 characters at most).", false, []);
        }

        Track(session, Actions.GenerateQuestion, watch, new() { ["source"] = source.Id, ["question"] = question });
        TableSchema schema;
        try
        {
            schema = await source.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqlQueryException ex)
        {
            TrackError(session, Actions.DatabaseError, ex.Message, watch, new() { ["source"] = source.Id });
            return new GenerateReply(null, generator.Name, ex.Message, true, []);
        }

        var request = new GenerationRequest(question, source, schema, examples.For(source.Id, session.User), session.User);
        var answer = await generator.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
        RecordTokens(session, answer.Tokens);
        var columns = schema.Columns.Select(c => c.Name).ToList();
        switch (answer.Outcome)
        {
            case GenerationOutcome.Answered:
                var (verified, problem) = await VerifyAsync(session, request, answer, watch, cancellationToken).ConfigureAwait(false);
                if (verified is null)
                {
                    TrackError(session, generator.UsesModel ? Actions.LlmError : Actions.SqlError, problem, watch, new()
                    {
                        ["source"] = source.Id, ["question"] = question, ["generator"] = answer.Generator,
                    });
                    return new GenerateReply(null, answer.Generator, problem, true, columns);
                }

                Track(session, Actions.SqlQuery, watch, new()
                {
                    ["source"] = source.Id, ["question"] = question, ["sql"] = verified.Sql, ["generator"] = verified.Generator,
                    ["interpretation"] = verified.Interpretation, ["repaired"] = !ReferenceEquals(verified, answer),
                });
                return new GenerateReply(verified.Sql, verified.Generator, null, false, columns) { Interpretation = verified.Interpretation };
            case GenerationOutcome.Failed:
                TrackError(session, Actions.LlmError, answer.Message, watch, new() { ["source"] = source.Id, ["question"] = question, ["generator"] = answer.Generator });
                return new GenerateReply(null, answer.Generator, answer.Message, true, columns);
            default:
                // Not an error of the system: the offline generator saying plainly that it has no answer.
                Track(session, Actions.SqlQuery, watch, new()
                {
                    ["source"] = source.Id, ["question"] = question, ["generator"] = answer.Generator, ["answered"] = false, ["unknown"] = string.Join(" ", answer.Unknown),
                });
                return new GenerateReply(null, answer.Generator, answer.Message, false, columns) { Unknown = answer.Unknown };
        }
    }

    /// <summary>Adds columns to the query's SELECT (and GROUP BY).</summary>
    public ColumnsReply SelectColumns(UserSession session, string? sourceId, string? sql, IReadOnlyList<string>? columns)
    {
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        if (string.IsNullOrWhiteSpace(sql) || columns is not { Count: > 0 })
        {
            return new ColumnsReply(null, "Choose at least one column, with a query in the editor.");
        }

        if (columns.Any(c => string.IsNullOrWhiteSpace(c) || c.Length > 128 || c.Any(char.IsControl)))
        {
            return new ColumnsReply(null, "Each column must be a name of the table's: not empty, at most 128 characters, no control characters.");
        }

        var (edited, error) = SelectEditor.AddColumns(sql, columns.Take(50).ToList(), source.Dialect);
        Track(session, Actions.SelectColumns, watch, new() { ["source"] = source.Id, ["columns"] = string.Join(",", columns.Take(50)), ["sql"] = edited ?? sql });
        return new ColumnsReply(edited, error);
    }

    /// <summary>Checks edited SQL before it runs.</summary>
    public ValidateReply Validate(UserSession session, string? sourceId, string? sql)
    {
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        var check = SqlGuard.Check(sql, source.Dialect);
        Track(session, Actions.EditSql, watch, new() { ["source"] = source.Id, ["sql"] = sql, ["valid"] = check.IsAllowed, ["reason"] = check.Reason });
        return new ValidateReply(check.IsAllowed, check.Reason);
    }

    /// <summary>Runs a query and keeps the shown rows under a run id.</summary>
    public async Task<RunReply> RunAsync(UserSession session, string? sourceId, string? sql, string? question, bool generated, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        var check = SqlGuard.Check(sql, source.Dialect);
        if (!check.IsAllowed)
        {
            TrackError(session, Actions.SqlError, check.Reason, watch, new() { ["source"] = source.Id, ["sql"] = sql });
            return RunReply.Failed(check.Reason!, "sql");
        }

        try
        {
            var result = await ExecuteAsync(session, source, check.Sql, cancellationToken).ConfigureAwait(false);
            return Ran(session, source, check.Sql, question, result, watch, repairedFrom: null);
        }
        catch (QueryBusyException busy)
        {
            TrackError(session, Actions.DatabaseError, busy.Message, watch, new() { ["source"] = source.Id, ["sql"] = check.Sql, ["busy"] = true });
            return RunReply.Failed(busy.Message, "busy");
        }
        catch (SqlQueryException ex)
        {
            TrackError(session, Actions.DatabaseError, ex.Message, watch, new() { ["source"] = source.Id, ["sql"] = check.Sql });
            if (!(generated && generator.CanFix && !string.IsNullOrWhiteSpace(question)))
            {
                return RunReply.Failed(ex.Message, "database");
            }

            return await RepairAsync(session, source, check.Sql, question!, ex.Message, watch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The chart for a run, chosen from its shape.</summary>
    public ChartReply Chart(UserSession session, string? runId)
    {
        var watch = Stopwatch.StartNew();
        if (runs.Get(runId, session.SessionId) is not { } run)
        {
            return new ChartReply(null, RunExpired);
        }

        var (chart, reason) = ChartChooser.Choose(run.Result);
        Track(session, Actions.GenerateChart, watch, new() { ["source"] = run.SourceId, ["run_id"] = run.Id, ["chart"] = chart?.Type ?? "none" });
        return new ChartReply(chart, reason);
    }

    /// <summary>The browser could not draw the chart.</summary>
    public void ChartFailed(UserSession session, string? runId, string? message)
    {
        var watch = Stopwatch.StartNew();
        var text = string.IsNullOrWhiteSpace(message) ? "The chart could not be drawn." : message[..Math.Min(message.Length, 500)];
        TrackError(session, Actions.ChartError, text, watch, new() { ["run_id"] = runId });
    }

    /// <summary>A summary of a run: from the model when allowed to see data, computed otherwise.</summary>
    public async Task<SummaryReply> SummarizeAsync(UserSession session, string? runId, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (runs.Get(runId, session.SessionId) is not { } run)
        {
            return new SummaryReply([], "none", RunExpired);
        }

        if (generator is ChatModelSqlGenerator llm && _options.Llm.AllowLlmToSeeData)
        {
            var (text, tokens, error) = await llm.SummarizeAsync(run.Question ?? run.Sql, run.Result, cancellationToken).ConfigureAwait(false);
            RecordTokens(session, tokens);
            if (text is not null)
            {
                Track(session, Actions.GenerateSummary, watch, new() { ["run_id"] = run.Id, ["summary"] = llm.Name });
                return new SummaryReply([text], llm.Name, null);
            }

            TrackError(session, Actions.LlmError, error, watch, new() { ["run_id"] = run.Id });
        }

        var lines = ResultSummarizer.Summarize(run.Result);
        Track(session, Actions.GenerateSummary, watch, new() { ["run_id"] = run.Id, ["summary"] = "computed" });
        return new SummaryReply(lines, "computed", null);
    }

    /// <summary>Streams a run's query, re-executed up to the download limit, as .xlsx or .csv.</summary>
    public async Task DownloadAsync(HttpContext context, UserSession session, string? runId, string? format)
    {
        ArgumentNullException.ThrowIfNull(context);
        var watch = Stopwatch.StartNew();
        var excel = !string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase);
        if (runs.Get(runId, session.SessionId) is not { } run)
        {
            await Results.Json(new { error = RunExpired }, statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var source = catalog.Get(run.SourceId);
        var extension = excel ? "xlsx" : "csv";
        var fileLimits = new ExportLimits(_options.DownloadRowLimit, _options.DownloadByteLimit);
        try
        {
            // The query runs again, in a slot like any other, into a temporary file capped by rows and bytes; a cut file says so
            // in its name and in a header, and the step is tracked with what cut it.
            var written = await BufferedDownload.SendAsync(context, UsageExport.ContentType(excel ? ExportFormat.Xlsx : ExportFormat.Csv),
                result => result.CutBy switch
                {
                    null => $"query-result.{extension}",
                    "rows" => $"query-result (first {result.Rows:N0} rows, the download limit).{extension}",
                    _ => $"query-result (first {result.Rows:N0} rows, {_options.DownloadByteLimit / (1024 * 1024):N0} MiB, the download limit).{extension}",
                },
                (file, ct) => slots.RunAsync(session.User, async (queryLimits, token) =>
                {
                    await using var reader = await source.OpenAsync(run.Sql, queryLimits, token).ConfigureAwait(false);
                    return excel
                        ? await XlsxExport.WriteAsync(file, reader, fileLimits, token).ConfigureAwait(false)
                        : await CsvExport.WriteAsync(file, reader, fileLimits, token).ConfigureAwait(false);
                }, ct, _options.QueryTimeout * 4)).ConfigureAwait(false);
            Track(session, Actions.DownloadResults, watch, new() { ["run_id"] = run.Id, ["format"] = extension, ["rows"] = written.Rows, ["cut_by"] = written.CutBy, ["sql"] = run.Sql });
        }
        catch (Exception ex) when (ex is SqlQueryException or QueryBusyException)
        {
            TrackError(session, Actions.DatabaseError, ex.Message, watch, new() { ["run_id"] = run.Id, ["sql"] = run.Sql, ["format"] = extension, ["busy"] = ex is QueryBusyException });
            if (!context.Response.HasStarted)
            {
                var status = ex is QueryBusyException ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status502BadGateway;
                await Results.Json(new { error = ex.Message }, statusCode: status).ExecuteAsync(context).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Thumbs up or down on a run; up saves the question → SQL pair as an example.</summary>
    public FeedbackReply Feedback(UserSession session, string? runId, bool positive)
    {
        var watch = Stopwatch.StartNew();
        if (runs.Get(runId, session.SessionId) is not { } run)
        {
            return new FeedbackReply(false, RunExpired);
        }

        var saved = positive && !string.IsNullOrWhiteSpace(run.Question);
        if (saved)
        {
            examples.Save(new SavedExample(run.SourceId, run.Question!, run.Sql, time.GetUtcNow(), session.User));
        }

        Track(session, positive ? Actions.ThumbsUp : Actions.ThumbsDown, watch, new() { ["run_id"] = run.Id, ["question"] = run.Question, ["sql"] = run.Sql, ["saved_example"] = saved });
        return new FeedbackReply(saved, null);
    }

    /// <summary>The examples on a data source the user may use, and for an admin every user's, to review and share.</summary>
    public ExamplesReply Examples(UserSession session, string? sourceId)
    {
        var source = catalog.Get(sourceId);
        var admin = _options.IsAdmin(session.User);
        var usable = examples.For(source.Id, session.User);
        var others = admin ? examples.All(source.Id).Where(e => !e.Shared && !string.Equals(e.SavedBy, session.User, StringComparison.OrdinalIgnoreCase)).ToList() : [];
        return new ExamplesReply(source.Id, admin, usable.Where(e => e.Shared).ToList(), usable.Where(e => !e.Shared).ToList(), others);
    }

    /// <summary>Shares a user's saved example with everyone; only an admin may.</summary>
    public ShareReply ShareExample(UserSession session, string? sourceId, string? question, string? savedBy)
    {
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        if (!_options.IsAdmin(session.User))
        {
            return new ShareReply(false, "Only an admin (QueryApp:Admins) can share an example with everyone.", Forbidden: true);
        }

        if (string.IsNullOrWhiteSpace(question) || !examples.Share(source.Id, question, savedBy, session.User))
        {
            return new ShareReply(false, "That example is not saved any more; refresh the list.");
        }

        Track(session, Actions.ShareExample, watch, new() { ["source"] = source.Id, ["question"] = question, ["saved_by"] = savedBy });
        return new ShareReply(true, null);
    }

    /// <summary>The answer for a run that is not (or no longer) kept for the session: the endpoints send it with 404.</summary>
    internal const string RunExpired = "That result is no longer available; run the query again.";

    // The rows shown: at most RowLimit of them and about ResultByteLimit bytes, read in a query slot.
    private Task<QueryResult> ExecuteAsync(UserSession session, IDataSource source, string sql, CancellationToken cancellationToken) =>
        slots.RunAsync(session.User, async (limits, token) =>
        {
            var watch = Stopwatch.StartNew();
            await using var reader = await source.OpenAsync(sql, limits, token).ConfigureAwait(false);
            var rows = new List<object?[]>();
            string? truncatedBy = null;
            long bytes = 0;
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var size = QueryResult.RowBytes(reader.Current);
                if (rows.Count == _options.RowLimit || bytes + size > _options.ResultByteLimit)
                {
                    truncatedBy = rows.Count == _options.RowLimit ? "rows" : "bytes";
                    break;
                }

                rows.Add((object?[])reader.Current.Clone());
                bytes += size;
            }

            var columns = reader.Names.Select((name, i) => new ResultColumn(name, ColumnKinds.Infer(rows, i, name))).ToList();
            return new QueryResult(columns, rows, truncatedBy, _options.RowLimit, _options.ResultByteLimit, bytes, watch.Elapsed.TotalMilliseconds);
        }, cancellationToken);

    private RunReply Ran(UserSession session, IDataSource source, string sql, string? question, QueryResult result, Stopwatch watch, string? repairedFrom)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        runs.Add(new RunRecord(id, session.SessionId, source.Id, sql, string.IsNullOrWhiteSpace(question) ? null : question.Trim(), result));
        Track(session, Actions.ExecuteSql, watch, new()
        {
            ["source"] = source.Id,
            ["run_id"] = id,
            ["sql"] = sql,
            ["rows"] = result.Rows.Count,
            ["truncated"] = result.Truncated,
            ["truncated_by"] = result.TruncatedBy,
            ["repaired"] = repairedFrom is not null,
        });
        return new RunReply(id, result.Columns, result.Rows, result.Truncated, result.RowLimit, Math.Round(result.ElapsedMs, 1), null, null, repairedFrom is null ? null : sql)
        {
            TruncatedBy = result.TruncatedBy,
            ByteLimit = result.ByteLimit,
        };
    }

    private async Task<RunReply> RepairAsync(UserSession session, IDataSource source, string failedSql, string question, string error, Stopwatch watch, CancellationToken cancellationToken)
    {
        var schema = await source.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        var answer = await generator.FixAsync(new GenerationRequest(question, source, schema, examples.For(source.Id, session.User)), failedSql, error, cancellationToken).ConfigureAwait(false);
        RecordTokens(session, answer.Tokens);
        if (answer.Outcome != GenerationOutcome.Answered)
        {
            TrackError(session, Actions.LlmError, answer.Message, watch, new() { ["source"] = source.Id, ["question"] = question, ["repair"] = true });
            return RunReply.Failed(error, "database");
        }

        var check = SqlGuard.Check(answer.Sql, source.Dialect);
        if (!check.IsAllowed)
        {
            TrackError(session, Actions.SqlError, check.Reason, watch, new() { ["source"] = source.Id, ["sql"] = answer.Sql, ["repair"] = true });
            return RunReply.Failed(error, "database");
        }

        Track(session, Actions.SqlQuery, watch, new() { ["source"] = source.Id, ["question"] = question, ["sql"] = check.Sql, ["generator"] = answer.Generator, ["repair"] = true });
        try
        {
            var result = await ExecuteAsync(session, source, check.Sql, cancellationToken).ConfigureAwait(false);
            return Ran(session, source, check.Sql, question, result, watch, repairedFrom: failedSql);
        }
        catch (QueryBusyException busy)
        {
            TrackError(session, Actions.DatabaseError, busy.Message, watch, new() { ["source"] = source.Id, ["sql"] = check.Sql, ["repair"] = true, ["busy"] = true });
            return RunReply.Failed(busy.Message, "busy");
        }
        catch (SqlQueryException again)
        {
            TrackError(session, Actions.DatabaseError, again.Message, watch, new() { ["source"] = source.Id, ["sql"] = check.Sql, ["repair"] = true });
            return RunReply.Failed(again.Message, "database");
        }
    }

    // Generated SQL is shown only once the guard allows it and the source compiles it; a model gets one try at repairing it.
    private async Task<(GeneratedSql? Answer, string? Problem)> VerifyAsync(
        UserSession session, GenerationRequest request, GeneratedSql answer, Stopwatch watch, CancellationToken cancellationToken)
    {
        var problem = await ProblemAsync(request.Source, answer.Sql, cancellationToken).ConfigureAwait(false);
        if (problem is null)
        {
            return (answer, null);
        }

        if (!generator.CanFix)
        {
            return (null, $"The SQL from {answer.Generator} would not run, so it is not shown: {Lower(problem)}");
        }

        TrackError(session, Actions.SqlError, problem, watch, new() { ["source"] = request.Source.Id, ["sql"] = answer.Sql, ["generator"] = answer.Generator, ["checked"] = true });
        var repaired = await generator.FixAsync(request, answer.Sql!, problem, cancellationToken).ConfigureAwait(false);
        RecordTokens(session, repaired.Tokens);
        if (repaired.Outcome != GenerationOutcome.Answered)
        {
            return (null, repaired.Message);
        }

        var again = await ProblemAsync(request.Source, repaired.Sql, cancellationToken).ConfigureAwait(false);
        return again is null
            ? (repaired, null)
            : (null, $"The SQL from {answer.Generator} would not run even after one repair, so it is not shown: {Lower(again)}");
    }

    private async Task<string?> ProblemAsync(IDataSource source, string? sql, CancellationToken cancellationToken)
    {
        var check = SqlGuard.Check(sql, source.Dialect);
        if (!check.IsAllowed)
        {
            return check.Reason;
        }

        try
        {
            await source.CheckAsync(check.Sql, new SqlLimits(_options.QueryTimeout), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (SqlQueryException ex)
        {
            return ex.Message;
        }
    }

    private static string Lower(string sentence) => sentence.Length > 1 && char.IsUpper(sentence[0]) && !char.IsUpper(sentence[1])
        ? char.ToLowerInvariant(sentence[0]) + sentence[1..]
        : sentence;

    private void RecordTokens(UserSession session, TokenUse? tokens)
    {
        if (tokens is null)
        {
            return;
        }

        // The cost is filled in by the tracker from its price table (UsageTracking:ModelPrices).
        tracker.TrackTokenUsage(session.User, tokens.Model, Math.Max(0, tokens.InputTokens - tokens.CachedInputTokens), tokens.OutputTokens,
            cacheReadTokens: tokens.CachedInputTokens, sessionId: session.SessionId, durationMs: tokens.DurationMs);
    }

    private void Track(UserSession session, string action, Stopwatch watch, Dictionary<string, object?> properties) =>
        tracker.TrackUserAction(session.User, action, session.SessionId, watch.Elapsed.TotalMilliseconds, properties);

    private void TrackError(UserSession session, string action, string? message, Stopwatch watch, Dictionary<string, object?> properties)
    {
        Log.StepFailed(logger, action, message);
        tracker.Track(new UsageEvent
        {
            User = session.User,
            Action = action,
            SessionId = session.SessionId,
            DurationMs = watch.Elapsed.TotalMilliseconds,
            Detail = message,
            IsError = true,
            Properties = properties,
        });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Step {Action} failed: {Reason}")]
        public static partial void StepFailed(ILogger logger, string action, string? reason);
    }
}

/// <summary>Suggested questions.</summary>
public sealed record QuestionsReply(string Source, IReadOnlyList<string> Questions);

/// <summary>
/// Generated SQL, or a message saying why there is none (<see cref="Sql"/> null: the question was refused or the model
/// failed); <see cref="Interpretation"/> says in plain words what question the SQL answers; <see cref="Columns"/> are the
/// table's, for the column chooser.
/// </summary>
public sealed record GenerateReply(string? Sql, string Generator, string? Message, bool Failed, IReadOnlyList<string> Columns)
{
    /// <summary>The question as understood ("count of studies · where status is Recruiting · by phase").</summary>
    public string? Interpretation { get; init; }

    /// <summary>For a refusal: the words not understood, which the user may teach as glossary terms.</summary>
    public IReadOnlyList<string> Unknown { get; init; } = [];
}

/// <summary>The query with columns added, or why not.</summary>
public sealed record ColumnsReply(string? Sql, string? Error);

/// <summary>Whether edited SQL may run.</summary>
public sealed record ValidateReply(bool Valid, string? Reason);

/// <summary>
/// A run's rows, or its error (<see cref="ErrorKind"/> <c>sql</c> for refused SQL, <c>database</c> for execution failures,
/// <c>busy</c> when no query slot freed in time). <see cref="TruncatedBy"/> says which limit cut the rows shown.
/// </summary>
public sealed record RunReply(
    string? RunId, IReadOnlyList<ResultColumn> Columns, IReadOnlyList<object?[]> Rows, bool Truncated, int RowLimit, double ElapsedMs,
    string? Error, string? ErrorKind, string? RepairedSql)
{
    /// <summary><c>rows</c> or <c>bytes</c> when the result was cut.</summary>
    public string? TruncatedBy { get; init; }

    /// <summary>The most bytes of rows shown.</summary>
    public long ByteLimit { get; init; }

    internal static RunReply Failed(string error, string kind) => new(null, [], [], false, 0, 0, error, kind, null);
}

/// <summary>A chart, or why none suits the result.</summary>
public sealed record ChartReply(ChartSpec? Chart, string? Reason);

/// <summary>Summary lines and what produced them.</summary>
public sealed record SummaryReply(IReadOnlyList<string> Lines, string Source, string? Error);

/// <summary>Whether a thumbs-up saved an example.</summary>
public sealed record FeedbackReply(bool SavedExample, string? Error);

/// <summary>The examples a user sees: shared with everyone, their own, and (for an admin) other users' waiting to be shared.</summary>
public sealed record ExamplesReply(string Source, bool IsAdmin, IReadOnlyList<SavedExample> Shared, IReadOnlyList<SavedExample> Mine, IReadOnlyList<SavedExample> OthersUnshared);

/// <summary>Whether an example was shared, or why not (<see cref="Forbidden"/>: the user is not an admin).</summary>
public sealed record ShareReply(bool Shared, string? Error, [property: System.Text.Json.Serialization.JsonIgnore] bool Forbidden = false);
