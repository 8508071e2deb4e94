using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace UsageTracking.QueryApp.Identity;

/// <summary>
/// Who the user is, with ASP.NET Core authentication: the trusted proxy header (<see cref="ForwardedEmailHandler"/>, only
/// when <see cref="QueryAppOptions.TrustForwardedHeaders"/> is on), else the access-key cookie set by the login page. Pages
/// carry <c>[Authorize(Policy = <see cref="Policy"/>)]</c>: open to everyone when no key is set, to authenticated users
/// otherwise. The tracker's user is the authenticated name, else <see cref="QueryAppOptions.DefaultUser"/>.
/// </summary>
public static class QueryAppAuthentication
{
    /// <summary>The default scheme: picks the header or the cookie for each request.</summary>
    public const string Scheme = "QueryApp";

    /// <summary>The trusted proxy header's scheme.</summary>
    public const string ForwardedScheme = "ForwardedEmail";

    /// <summary>The access key's cookie scheme.</summary>
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>The pages' policy.</summary>
    public const string Policy = "QueryAppUser";

    internal const string AccessCookie = "ut_access";

    /// <summary>Registers the schemes, the policy and the login throttle.</summary>
    public static IServiceCollection AddQueryAppAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Query app user", o =>
            {
                o.ForwardDefaultSelector = context =>
                {
                    var settings = context.RequestServices.GetRequiredService<IOptions<QueryAppOptions>>().Value;
                    return settings.TrustForwardedHeaders && context.Request.Headers.ContainsKey(settings.ForwardedEmailHeader) ? ForwardedScheme : CookieScheme;
                };
                // Whoever is not authenticated is sent to the key's form (or gets a 401 sentence under /api).
                o.ForwardChallenge = CookieScheme;
                o.ForwardForbid = CookieScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ForwardedEmailHandler>(ForwardedScheme, null)
            .AddCookie(CookieScheme, o =>
            {
                o.LoginPath = "/login";
                o.AccessDeniedPath = "/login";
                o.Cookie.Name = AccessCookie;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.Cookie.IsEssential = true;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                // The JSON API answers 401 in one sentence; only pages are sent to the login form.
                o.Events.OnRedirectToLogin = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/api"))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        return Task.CompletedTask;
                    }

                    context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                };
            });
        services.AddSingleton<IAuthorizationHandler, AppUserHandler>();
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddRequirements(new AppUserRequirement()));
        services.AddCascadingAuthenticationState();
        services.AddSingleton<LoginThrottle>();
        return services;
    }

    /// <summary>The principal the login page signs in: the configured default user, holding the key.</summary>
    internal static ClaimsPrincipal KeyHolder(string user) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, user), new Claim("ut:access", "key")], CookieScheme));

    /// <summary>The name the tracker records for <paramref name="user"/>.</summary>
    public static string UserName(ClaimsPrincipal? user, QueryAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return user?.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : options.DefaultUser;
    }

    /// <summary>Whether <paramref name="user"/> may use the app: anyone when no key is set, else an authenticated user.</summary>
    public static bool HasAccess(ClaimsPrincipal? user, QueryAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.LoginKey is null || user?.Identity?.IsAuthenticated == true;
    }

    private sealed class AppUserRequirement : IAuthorizationRequirement;

    private sealed class AppUserHandler(IOptions<QueryAppOptions> options) : AuthorizationHandler<AppUserRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AppUserRequirement requirement)
        {
            if (HasAccess(context.User, options.Value))
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }
}
