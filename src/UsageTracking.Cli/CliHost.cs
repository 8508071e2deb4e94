using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UsageTracking.Cli;

/// <summary>
/// The tracker as the CLI uses it: the same configuration sources and the same <c>AddUsageTracking</c>
/// registration as an app (appsettings.json and appsettings.{Environment}.json in the current folder,
/// then environment variables, then the command line's global options).
/// </summary>
internal sealed class CliHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private CliHost(ServiceProvider services, UsageTracker tracker)
    {
        _services = services;
        Tracker = tracker;
    }

    public UsageTracker Tracker { get; }

    public UsageTrackingOptions Options => Tracker.Options;

    public IUsageStore Store => Tracker.Store;

    /// <summary>A user as the store holds it: hashed when UsageTracking:Privacy:HashUsers is on.</summary>
    public string? StoredUser(string? user) => user is null ? null : Options.Privacy.StoredUser(user);

    public static CliHost Create(ParseResult parse, Action<UsageTrackingOptions>? adjust = null)
    {
        var provider = BuildServices(parse, adjust);
        try
        {
            return new CliHost(provider, provider.GetRequiredService<UsageTracker>());
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <summary>The settings alone, without starting a tracker (which would begin replaying the spool).</summary>
    public static UsageTrackingOptions ReadOptions(ParseResult parse)
    {
        using var provider = BuildServices(parse, null);
        return provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<UsageTrackingOptions>>().Value;
    }

    /// <summary>The settings and the store, without a tracker: for maintenance that must not race the spool's replay.</summary>
    public static (UsageTrackingOptions Options, IUsageStore Store) CreateStore(ParseResult parse)
    {
        using var provider = BuildServices(parse, null);
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<UsageTrackingOptions>>().Value;
        var section = provider.GetRequiredService<IConfiguration>().GetSection(UsageTrackingOptions.SectionName);
        return (options, UsageStoreFactory.Create(options, section));
    }

    private static ServiceProvider BuildServices(ParseResult parse, Action<UsageTrackingOptions>? adjust)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        var overrides = new Dictionary<string, string?>();
        void Override(Option<string?> option, string key)
        {
            if (parse.GetValue(option) is { Length: > 0 } value)
            {
                overrides[$"{UsageTrackingOptions.SectionName}:{key}"] = value;
            }
        }

        Override(GlobalOptions.Store, nameof(UsageTrackingOptions.Store));
        Override(GlobalOptions.Connection, nameof(UsageTrackingOptions.ConnectionString));
        Override(GlobalOptions.App, nameof(UsageTrackingOptions.AppName));
        Override(GlobalOptions.Table, nameof(UsageTrackingOptions.TableName));
        Override(GlobalOptions.Spool, nameof(UsageTrackingOptions.SpoolDirectory));

        var configuration = new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides)
            .Build();

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        var verbose = parse.GetValue(GlobalOptions.Verbose);
        services.AddLogging(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter((_, level) => level >= (verbose ? LogLevel.Debug : LogLevel.Error))
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var section = configuration.GetSection(UsageTrackingOptions.SectionName);
        services.AddUsageTracking(section);
        services.Configure<UsageTrackingOptions>(o =>
        {
            if (section[nameof(UsageTrackingOptions.RetryBudget)] is null)
            {
                // A command is short-lived: a dead store should cost seconds, not the library's patient default.
                o.RetryBudget = TimeSpan.FromSeconds(3);
            }

            adjust?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    /// <summary>Makes sure the store answers before anything is tracked, so an unreachable store is one clear error.</summary>
    public async Task<StoreSchemaMode> EnsureStoreAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            return await Store.EnsureSchemaAsync(Options.AllowSchemaUpgrade, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not UsageStoreException && !cancellationToken.IsCancellationRequested)
        {
            throw new UsageStoreException($"The usage store is unreachable ({Store.Description}): {UsageCli.Describe(ex)}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Tracker.DisposeAsync().ConfigureAwait(false);
        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
