using UsageTracking.QueryApp.Services;

namespace UsageTracking.QueryApp.Endpoints;

/// <summary>The JSON endpoints the page's script calls for each step of the flow.</summary>
public static class FlowEndpoints
{
    /// <summary>Request bodies.</summary>
    public sealed record GenerateRequest(string? Source, string? Question);

    /// <summary>Adds columns to a query.</summary>
    public sealed record ColumnsRequest(string? Source, string? Sql, List<string>? Columns);

    /// <summary>Checks or runs a query.</summary>
    public sealed record SqlRequest(string? Source, string? Sql, string? Question, bool Generated);

    /// <summary>Refers to a run.</summary>
    public sealed record RunRequest(string? RunId, string? Message, bool Positive);

    /// <summary>Maps the flow's endpoints under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapFlowEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter(RequireAccess);
        api.MapGet("/questions", (HttpContext http, QueryFlow flow, string? source, string? shown) =>
            flow.Suggest(http.GetUserSession(), source, shown?.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        api.MapPost("/generate", (HttpContext http, QueryFlow flow, GenerateRequest body) =>
            flow.GenerateAsync(http.GetUserSession(), body.Source, body.Question, http.RequestAborted));
        api.MapPost("/columns", (HttpContext http, QueryFlow flow, ColumnsRequest body) =>
            flow.SelectColumns(http.GetUserSession(), body.Source, body.Sql, body.Columns));
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
        api.MapPost("/chart", (HttpContext http, QueryFlow flow, RunRequest body) => flow.Chart(http.GetUserSession(), body.RunId));
        api.MapPost("/chart-error", (HttpContext http, QueryFlow flow, RunRequest body) =>
        {
            flow.ChartFailed(http.GetUserSession(), body.RunId, body.Message);
            return Results.NoContent();
        });
        api.MapPost("/summary", (HttpContext http, QueryFlow flow, RunRequest body) => flow.SummarizeAsync(http.GetUserSession(), body.RunId, http.RequestAborted));
        api.MapGet("/download", (HttpContext http, QueryFlow flow, string? runId, string? format) => flow.DownloadAsync(http, http.GetUserSession(), runId, format));
        api.MapPost("/feedback", (HttpContext http, QueryFlow flow, RunRequest body) => flow.Feedback(http.GetUserSession(), body.RunId, body.Positive));
        return app;
    }

    private static async ValueTask<object?> RequireAccess(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.GetUserSession().HasAccess
            ? await next(context)
            : Results.Json(new { error = "Enter the access key first." }, statusCode: StatusCodes.Status401Unauthorized);
}
