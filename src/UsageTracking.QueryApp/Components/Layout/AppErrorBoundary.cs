using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Identity;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.QueryApp.Components.Layout;

/// <summary>
/// Catches a component's failure on the live page: the user reads one sentence and keeps the circuit; the failure is
/// logged and tracked as <c>app_error</c> (the exception's type and message and the page — never the page's data), as the
/// HTTP exception handler does for requests. Leaving the page (or "Try again") recovers.
/// </summary>
public sealed class AppErrorBoundary : ErrorBoundaryBase
{
    [Inject] private IUsageTracker Tracker { get; set; } = default!;

    [Inject] private ILogger<AppErrorBoundary> Logger { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Inject] private IOptions<QueryAppOptions> Options { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState>? Authentication { get; set; }

    /// <inheritdoc />
    protected override async Task OnErrorAsync(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var page = "/" + Navigation.ToBaseRelativePath(Navigation.Uri).Split('?')[0];
        Logger.LogError(exception, "A page component failed on {Page}", page);
        var user = Authentication is null ? null : (await Authentication.ConfigureAwait(false)).User;
        Tracker.Track(AppErrors.Event(QueryAppAuthentication.UserName(user, Options.Value), null, exception,
            new Dictionary<string, object?> { ["path"] = page, ["circuit"] = true }));
    }

    /// <inheritdoc />
    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (CurrentException is null)
        {
            builder.AddContent(0, ChildContent);
            return;
        }

        builder.OpenElement(1, "p");
        builder.AddAttribute(2, "class", "notice error");
        builder.AddAttribute(3, "role", "alert");
        builder.AddContent(4, "Something went wrong on the server; the details were logged. ");
        builder.OpenElement(5, "button");
        builder.AddAttribute(6, "type", "button");
        builder.AddAttribute(7, "class", "link");
        builder.AddAttribute(8, "onclick", EventCallback.Factory.Create<MouseEventArgs>(this, Recover));
        builder.AddContent(9, "Try again");
        builder.CloseElement();
        builder.CloseElement();
    }
}
