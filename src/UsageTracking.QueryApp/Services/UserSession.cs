using System.Collections.Concurrent;
using System.Net.Mail;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace UsageTracking.QueryApp.Services;

/// <summary>Who is asking and in which browser session; set for every request by <see cref="UserSessionMiddleware"/>.</summary>
public sealed record UserSession(string User, string SessionId, bool HasAccess);

/// <summary>
/// Gives each browser session an id (a random, HTTP-only, same-site cookie that ends with the browser session),
/// resolves the user (a trusted proxy header only when configured,
/// otherwise the configured default) and, when a key is configured, remembers which sessions entered it.
/// </summary>
public sealed class UserSessionMiddleware(RequestDelegate next, IOptions<QueryAppOptions> options, AccessGrants grants)
{
    internal const string SessionCookie = "ut_session";

    /// <summary>Handles one request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        var sessionId = context.Request.Cookies[SessionCookie];
        var isNew = sessionId is null || sessionId.Length != 32 || !sessionId.All(char.IsAsciiHexDigitLower);
        if (isNew)
        {
            sessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            context.Response.Cookies.Append(SessionCookie, sessionId, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                IsEssential = true,
            });
        }

        var user = ResolveUser(context.Request, settings);
        var hasAccess = settings.LoginKey is null || grants.IsGranted(sessionId!);
        var session = new UserSession(user, sessionId!, hasAccess);
        context.Features.Set(session);

        return next(context);
    }

    internal static string ResolveUser(HttpRequest request, QueryAppOptions settings)
    {
        if (settings.TrustForwardedHeaders && request.Headers[settings.ForwardedEmailHeader].ToString() is { Length: > 0 and <= 320 } header
            && MailAddress.TryCreate(header.Trim(), out var address))
        {
            return address.Address;
        }

        return settings.DefaultUser;
    }
}

/// <summary>The browser sessions that have entered the access key (kept in memory: a restart asks again).</summary>
public sealed class AccessGrants
{
    private readonly ConcurrentDictionary<string, bool> _granted = new(StringComparer.Ordinal);

    /// <summary>Whether the session entered the key.</summary>
    public bool IsGranted(string sessionId) => _granted.ContainsKey(sessionId);

    /// <summary>Checks <paramref name="entered"/> against <paramref name="key"/> in constant time and, when it matches, grants the session.</summary>
    public bool TryGrant(string sessionId, string? entered, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var matches = SharedSecret.Matches(entered, key);
        if (matches)
        {
            _granted[sessionId] = true;
        }

        return matches;
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
