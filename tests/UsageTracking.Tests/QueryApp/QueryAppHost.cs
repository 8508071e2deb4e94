using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UsageTracking.QueryApp;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.QueryApp;

/// <summary>The real query app on Kestrel at 127.0.0.1 (a free port), with its data in a temp folder.</summary>
public sealed class QueryAppHost : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    public string DataDirectory => _folder.Path;

    public string UsageDatabase => _folder.File("usage.db");

    public IServiceProvider Services => _app!.Services;

    public static Task<QueryAppHost> StartAsync(int demoStudies = 3_000, params (string Key, string? Value)[] settings) => StartOnPortAsync(0, demoStudies, settings);

    /// <summary>The app with services of the test's registered first (the app's own registrations do not replace them).</summary>
    public static Task<QueryAppHost> StartWithServicesAsync(Action<IServiceCollection> services, params (string Key, string? Value)[] settings) =>
        StartOnPortAsync(0, 100, settings, services);

    /// <summary>The app on a given port (0: any free one), e.g. to start it again where a browser expects it.</summary>
    public static Task<QueryAppHost> StartOnPortAsync(int port, int demoStudies = 3_000, params (string Key, string? Value)[] settings) =>
        StartOnPortAsync(port, demoStudies, settings, null);

    private Dictionary<string, string?> _values = [];
    private Action<IServiceCollection>? _services;

    private static async Task<QueryAppHost> StartOnPortAsync(int port, int demoStudies, (string Key, string? Value)[] settings, Action<IServiceCollection>? services)
    {
        var host = new QueryAppHost();
        var values = new Dictionary<string, string?>
        {
            ["UsageTracking:DataDirectory"] = host._folder.Path,
            ["UsageTracking:AppName"] = "query-app-tests",
            ["UsageTracking:FlushInterval"] = "00:00:00.050",
            ["QueryApp:DemoStudies"] = demoStudies.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        host._values = values;
        host._services = services;
        await host.StartAppAsync(port);
        return host;
    }

    private async Task StartAppAsync(int port)
    {
        _app = UsageTracking.QueryApp.QueryApplication.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(_values);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            _services?.Invoke(builder.Services);
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address);
    }

    /// <summary>Stops the app as a deploy would (the tracker flushes), keeping its data folder.</summary>
    public async Task StopAsync()
    {
        await _app!.StopAsync();
        await _app.DisposeAsync();
        _app = null;
        SqliteConnection.ClearAllPools();
    }

    /// <summary>Starts the app again on the same address and data folder.</summary>
    public Task StartAgainAsync() => StartAppAsync(Address.Port);

    /// <summary>A client with its own cookie jar: one browser session.</summary>
    public HttpClient Client()
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false };
        return new HttpClient(handler) { BaseAddress = Address };
    }

    /// <summary>Every usage event written so far, oldest first, after flushing the tracker.</summary>
    public async Task<List<(string User, string Action, string? Session, double? DurationMs, string? Detail, string? Properties)>> EventsAsync()
    {
        await Services.GetRequiredService<IUsageTracker>().FlushAsync();
        var events = new List<(string, string, string?, double?, string?, string?)>();
        if (!File.Exists(UsageDatabase))
        {
            return events;
        }

        await using var connection = new SqliteConnection($"Data Source={UsageDatabase};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"user\", action, session_id, duration_ms, detail, properties FROM central_app_usage ORDER BY event_id";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            events.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return events;
    }

    /// <summary>
    /// The events once one with <paramref name="action"/> is among them: a step tracked after its response was sent (a
    /// download) may land a moment after the client has read the response.
    /// </summary>
    public async Task<List<(string User, string Action, string? Session, double? DurationMs, string? Detail, string? Properties)>> EventsWithAsync(string action)
    {
        for (var attempt = 0; ; attempt++)
        {
            var events = await EventsAsync();
            if (events.Any(e => e.Action == action) || attempt == 100)
            {
                return events;
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
