namespace UsageTracking.QueryApp.Components.Dashboard;

/// <summary>What the dashboard shows: a range name (<see cref="Services.DashboardService.Ranges"/>), optionally one app and one user.</summary>
public sealed record DashboardFilter(string Range, string? App, string? User)
{
    /// <summary>The filter for the form's values (blanks mean all).</summary>
    public static DashboardFilter Of(string range, string? app, string? user) =>
        new(Services.DashboardService.Ranges.ContainsKey(range) ? range : "7d", Services.DashboardService.Blank(app), Services.DashboardService.Blank(user));
}
