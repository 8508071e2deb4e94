using Microsoft.AspNetCore.Components.Authorization;
using UsageTracking.QueryApp.Identity;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.QueryApp.Components;

/// <summary>
/// The <see cref="UserSession"/> of an interactive page: the user from the authentication state (the circuit's, once live),
/// the session id from the browser's session cookie while prerendering, carried over to the live page in persisted state.
/// </summary>
internal static class SessionState
{
    public static async Task<UserSession> ResolveAsync(HttpContext? prerendering, string? persistedId, Task<AuthenticationState> authentication, QueryAppOptions options)
    {
        var user = (await authentication.ConfigureAwait(false)).User;
        var sessionId = prerendering?.GetUserSession().SessionId
            ?? (UserSession.IsId(persistedId) ? persistedId! : UserSession.NewId());
        return new UserSession(QueryAppAuthentication.UserName(user, options), sessionId, QueryAppAuthentication.HasAccess(user, options));
    }
}
