using System.Net.Mail;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace UsageTracking.QueryApp.Identity;

/// <summary>
/// Authenticates the user named by a proxy in <see cref="QueryAppOptions.ForwardedEmailHeader"/> — only when
/// <see cref="QueryAppOptions.TrustForwardedHeaders"/> is on, and only a well-formed email of at most 320 characters.
/// </summary>
public sealed class ForwardedEmailHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder, IOptions<QueryAppOptions> appOptions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var settings = appOptions.Value;
        if (!settings.TrustForwardedHeaders)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var header = Request.Headers[settings.ForwardedEmailHeader].ToString().Trim();
        if (header is not { Length: > 0 and <= 320 } || !MailAddress.TryCreate(header, out var address))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, address.Address), new Claim(ClaimTypes.Email, address.Address)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}
