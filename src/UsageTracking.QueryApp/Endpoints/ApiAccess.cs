using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.QueryApp.Endpoints;

/// <summary>
/// Who may call an <c>/api</c> data route (everything under <c>/api</c> but the health checks): a request carrying
/// <see cref="QueryAppOptions.ApiKey"/> in <c>X-API-Key</c>, or a browser session that has entered the login key when
/// one is set (<see cref="QueryAppOptions.LoginKey"/>). Exports, made for scripts, need the API key when one is set.
/// </summary>
internal static class ApiAccess
{
    public static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var options = http.RequestServices.GetRequiredService<IOptions<QueryAppOptions>>().Value;
        var apiKey = options.ApiKey is { Length: > 0 } key ? key : null;
        var keyed = apiKey is not null && SharedSecret.Matches(http.Request.Headers["X-API-Key"].ToString(), apiKey);
        var needsKey = apiKey is not null && http.Request.Path.StartsWithSegments("/api/export");
        if (keyed || (!needsKey && http.GetUserSession().HasAccess))
        {
            return await next(context).ConfigureAwait(false);
        }

        var error = needsKey ? "Send the API key in the X-API-Key header."
            : apiKey is not null ? "Enter the access key first, or send the API key in the X-API-Key header."
            : "Enter the access key first.";
        return Results.Json(new { error }, statusCode: StatusCodes.Status401Unauthorized);
    }
}
