namespace UsageTracking.QueryApp.Identity;

/// <summary>
/// Refuses a state-changing request (any method but GET, HEAD, OPTIONS) that a browser says comes from another site:
/// <c>Sec-Fetch-Site</c> other than same-origin or none, or an <c>Origin</c> whose host is not the request's. Forms carry
/// antiforgery tokens as well; scripts and tools that send neither header are not browsers and pass.
/// </summary>
public sealed class CrossSiteGuard(RequestDelegate next)
{
    internal const string Refusal = "Cross-site requests are refused: use the app's own pages, or call the API from a script.";

    /// <summary>Handles one request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || IsSameSite(request))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Endpoints.ErrorResponses.WriteAsync(context, Refusal);
    }

    private static bool IsSameSite(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0 && fetchSite is not ("same-origin" or "none"))
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0
            || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }
}
