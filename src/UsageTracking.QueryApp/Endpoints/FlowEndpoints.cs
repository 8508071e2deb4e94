using UsageTracking.QueryApp.Services;

namespace UsageTracking.QueryApp.Endpoints;

/// <summary>
/// The flow's steps as a JSON API for programs (the page itself calls <see cref="QueryFlow"/> from its components): each
/// call is tracked exactly as the same step in the page.
/// </summary>
public static class FlowEndpoints
{
    /// <summary>Request bodies.</summary>
    public sealed record GenerateRequest(string? Source, string? Question, bool Suggested = false);

    /// <summary>Adds columns to a query.</summary>
    public sealed record ColumnsRequest(string? Source, string? Sql, List<string>? Columns);

    /// <summary>Checks or runs a query.</summary>
    public sealed record SqlRequest(string? Source, string? Sql, string? Question, bool Generated);

    /// <summary>Names a saved example.</summary>
    public sealed record ExampleRequest(string? Source, string? Question, string? SavedBy);

    /// <summary>Teaches, shares or removes a glossary term.</summary>
    public sealed record TermRequest(string? Source, string? Term, string? Column, List<string>? Values);

    /// <summary>Refers to a run.</summary>
    public sealed record RunRequest(string? RunId, string? Message, bool Positive);

    /// <summary>Maps the flow's endpoints under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapFlowEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter(ApiAccess.RequireAsync);
        api.MapGet("/questions", (QueryFlow flow, string? source, string? shown) =>
            flow.Suggest(source, shown?.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        api.MapPost("/generate", (HttpContext http, QueryFlow flow, GenerateRequest body) =>
        {
            if (body.Suggested)
            {
                flow.SuggestionPicked(http.GetUserSession(), body.Source, body.Question);
            }

            return flow.GenerateAsync(http.GetUserSession(), body.Source, body.Question, http.RequestAborted);
        });
        api.MapPost("/columns", (HttpContext http, QueryFlow flow, ColumnsRequest body) =>
        {
            var reply = flow.SelectColumns(http.GetUserSession(), body.Source, body.Sql, body.Columns);
            return reply.Error is null ? Results.Ok(reply) : Results.BadRequest(reply);
        });
        api.MapPost("/validate", (HttpContext http, QueryFlow flow, SqlRequest body) =>
            flow.Validate(http.GetUserSession(), body.Source, body.Sql));
        api.MapPost("/run", async (HttpContext http, QueryFlow flow, SqlRequest body) =>
        {
            var reply = await flow.RunAsync(http.GetUserSession(), body.Source, body.Sql, body.Question, body.Generated, http.RequestAborted);
            if (reply.ErrorKind == "busy")
            {
                http.Response.Headers.RetryAfter = "5";
            }

            return reply.Error is null ? Results.Ok(reply) : Results.Json(reply, statusCode: reply.ErrorKind switch { "sql" => 400, "busy" => 503, _ => 422 });
        });
        api.MapPost("/chart", (HttpContext http, QueryFlow flow, RunRequest body) => Found(flow.Chart(http.GetUserSession(), body.RunId), r => r.Reason));
        api.MapPost("/chart-error", (HttpContext http, QueryFlow flow, RunRequest body) =>
        {
            flow.ChartFailed(http.GetUserSession(), body.RunId, body.Message);
            return Results.NoContent();
        });
        api.MapPost("/summary", async (HttpContext http, QueryFlow flow, RunRequest body) =>
            Found(await flow.SummarizeAsync(http.GetUserSession(), body.RunId, http.RequestAborted), r => r.Error));
        api.MapGet("/download", (HttpContext http, QueryFlow flow, string? runId, string? format) => flow.DownloadAsync(http, http.GetUserSession(), runId, format));
        api.MapPost("/feedback", (HttpContext http, QueryFlow flow, RunRequest body) => Found(flow.Feedback(http.GetUserSession(), body.RunId, body.Positive), r => r.Error));
        api.MapGet("/examples", (HttpContext http, QueryFlow flow, string? source) => flow.Examples(http.GetUserSession(), source));
        api.MapPost("/examples/share", (HttpContext http, QueryFlow flow, ExampleRequest body) =>
        {
            var reply = flow.ShareExample(http.GetUserSession(), body.Source, body.Question, body.SavedBy);
            return reply.Shared ? Results.Ok(reply)
                : Results.Json(reply, statusCode: reply.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status404NotFound);
        });
        api.MapGet("/glossary", (HttpContext http, GlossaryService glossary, string? source) => glossary.ListAsync(http.GetUserSession(), source, http.RequestAborted));
        api.MapPost("/glossary", async (HttpContext http, GlossaryService glossary, TermRequest body) =>
            Taught(await glossary.TeachAsync(http.GetUserSession(), body.Source, body.Term, body.Column, body.Values, http.RequestAborted).ConfigureAwait(false)));
        api.MapPost("/glossary/share", (HttpContext http, GlossaryService glossary, TermRequest body) => Taught(glossary.Share(http.GetUserSession(), body.Source, body.Term)));
        api.MapPost("/glossary/forget", (HttpContext http, GlossaryService glossary, TermRequest body) => Taught(glossary.Forget(http.GetUserSession(), body.Source, body.Term)));
        return app;
    }

    private static IResult Taught(TeachReply reply) => reply.Done ? Results.Ok(reply)
        : Results.Json(reply, statusCode: reply.Forbidden ? StatusCodes.Status403Forbidden
            : reply.ServerFault ? StatusCodes.Status500InternalServerError : StatusCodes.Status400BadRequest);

    // A reply about a run the session no longer has answers 404; any other reply, 200.
    private static IResult Found<T>(T reply, Func<T, string?> error) =>
        error(reply) == QueryFlow.RunExpired ? Results.Json(reply, statusCode: StatusCodes.Status404NotFound) : Results.Ok(reply);
}
