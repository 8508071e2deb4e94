using System.Net;

namespace UsageTracking.QueryApp.Endpoints;

/// <summary>
/// Every error the app answers is one sentence: <c>{"error": "…"}</c> under <c>/api</c>, a short page elsewhere. This covers
/// the framework's own refusals too (an unknown address, a wrong method, a body too large or not JSON, a Host the app does
/// not serve), which would otherwise each answer in a shape of their own.
/// </summary>
internal static class ErrorResponses
{
    /// <summary>The sentence for a status code the app's own code did not explain.</summary>
    public static string Sentence(int status, string method) => status switch
    {
        400 => "The request was refused: it was malformed, or addressed to a host name this app does not serve (see AllowedHosts).",
        401 => "Enter the access key first.",
        403 => "That is not allowed.",
        404 => "There is nothing at this address.",
        405 => $"This address does not accept {method} requests.",
        408 => "The request took too long to arrive.",
        413 => "The request is too large.",
        415 => "Send the body as JSON (Content-Type: application/json).",
        429 => "Too many requests; wait a moment, then try again.",
        431 => "The request's headers are too large.",
        503 => "The app is busy; try again in a few seconds.",
        >= 500 => "Something went wrong on the server; the details were logged.",
        _ => $"The request could not be answered (HTTP {status}).",
    };

    /// <summary>Writes <paramref name="message"/> with the response's status code, in the shape the path calls for.</summary>
    public static Task WriteAsync(HttpContext context, string message) =>
        context.Request.Path.StartsWithSegments("/api")
            ? Results.Json(new { error = message }, statusCode: context.Response.StatusCode).ExecuteAsync(context)
            : Results.Text($"<!doctype html><title>Error</title><p>{WebUtility.HtmlEncode(message)}</p><p><a href=\"/\">Back to the app</a></p>",
                "text/html; charset=utf-8", statusCode: context.Response.StatusCode).ExecuteAsync(context);

    /// <summary>
    /// Puts the status-code sentences outermost in the pipeline, ahead of the framework's host filtering, so a refused Host
    /// is answered in the same shape.
    /// </summary>
    public sealed class StartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseStatusCodePages(context => WriteAsync(context.HttpContext, Sentence(context.HttpContext.Response.StatusCode, context.HttpContext.Request.Method)));
            next(app);
        };
    }
}
