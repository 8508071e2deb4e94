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

    private CliHost(ServiceProvider services)
    {
        _services = services;
        Options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<UsageTrackingOptions>>().Value;
        Store = services.GetRequiredService<IUsageStore>();
    }

    /// <summary>The tracker, started on first use: maintenance commands never start one (it would begin replaying the spool).</summary>
    public UsageTracker Tracker => _services.GetRequiredService<UsageTracker>();

    public UsageTrackingOptions Options { get; }

    /// <summary>Where events are written (its description and schema).</summary>
    public IUsageStore Store { get; }

    /// <summary>Every stat and panel, read through the store's capabilities.</summary>
    public Analytics.UsageAnalytics Analytics => _services.GetRequiredService<Analytics.UsageAnalytics>();

    /// <summary>The configuration the command read (appsettings, environment, command-line overrides).</summary>
    public IConfiguration Configuration => _services.GetRequiredService<IConfiguration>();

    /// <summary>A capability the command needs from the store, or one sentence saying the store has not got it.</summary>
    public T Require<T>(string ability)
        where T : class =>
        _services.GetService<T>() ?? throw new CliUsageException($"The usage store ({Store.Description}) cannot {ability}.");

    /// <summary>A user as the store holds it: hashed when UsageTracking:Privacy:HashUsers is on.</summary>
    public string? StoredUser(string? user) => user is null ? null : Options.Privacy.StoredUser(user);

    public static CliHost Create(ParseResult parse, Action<UsageTrackingOptions>? adjust = null)
    {
        var provider = BuildServices(parse, adjust);
        try
        {
            return new CliHost(provider);
        }
        catch
        {
            provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>The settings alone, without a store or a tracker.</summary>
    public static UsageTrackingOptions ReadOptions(ParseResult parse)
    {
        var provider = BuildServices(parse, null);
        try
        {
            return provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<UsageTrackingOptions>>().Value;
        }
        finally
        {
            provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
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

    /// <summary>Flushes and stops the tracker, if one was started, then closes the store.</summary>
    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
