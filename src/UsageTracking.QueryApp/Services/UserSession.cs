using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Identity;

namespace UsageTracking.QueryApp.Services;

/// <summary>Who is asking and in which browser session; set for every request by <see cref="UserSessionMiddleware"/>.</summary>
public sealed record UserSession(string User, string SessionId, bool HasAccess)
{
    /// <summary>A new browser session's id: 32 lowercase hex digits.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether <paramref name="id"/> has the shape of a session id.</summary>
    public static bool IsId(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigitLower);
}

/// <summary>
/// Gives each browser session an id (a random, HTTP-only, same-site cookie that ends with the browser session) and sets
/// the request's <see cref="UserSession"/> from the authenticated user (<see cref="QueryAppAuthentication"/>).
/// </summary>
public sealed class UserSessionMiddleware(RequestDelegate next, IOptions<QueryAppOptions> options)
{
    internal const string SessionCookie = "ut_session";

    /// <summary>Handles one request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        var sessionId = context.Request.Cookies[SessionCookie];
        if (!UserSession.IsId(sessionId))
        {
            sessionId = UserSession.NewId();
            context.Response.Cookies.Append(SessionCookie, sessionId, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                IsEssential = true,
            });
        }

        context.Features.Set(new UserSession(
            QueryAppAuthentication.UserName(context.User, settings), sessionId!, QueryAppAuthentication.HasAccess(context.User, settings)));
        return next(context);
    }
}

/// <summary>Reads the <see cref="UserSession"/> of a request.</summary>
public static class UserSessionExtensions
{
    /// <summary>The request's session, set by <see cref="UserSessionMiddleware"/>.</summary>
    public static UserSession GetUserSession(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<UserSession>() ?? throw new InvalidOperationException("UserSessionMiddleware is not in the pipeline.");
    }
}
