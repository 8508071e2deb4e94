using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UsageTracking.Analytics;
using UsageTracking.Implementation;

namespace UsageTracking;

/// <summary>
/// Registers the tracker (a singleton <see cref="IUsageTracker"/> and a hosted service that flushes it at shutdown), the
/// read side (<see cref="UsageAnalytics"/>), and the store <see cref="UsageTrackingOptions.Store"/> names with the
/// capabilities its package provides — unless a store was registered already (a package's <c>Add…UsageStore()</c>).
/// </summary>
public static class UsageTrackingServiceCollectionExtensions
{
    /// <summary>Adds usage tracking configured from <paramref name="section"/> (normally <c>configuration.GetSection("UsageTracking")</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The <c>UsageTracking</c> section; store packages read their own settings from it too.</param>
    public static IServiceCollection AddUsageTracking(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<UsageTrackingOptions>().Bind(section);
        services.AddOptions<UsageTrackingOptions>().PostConfigure(o => o.ApplyEnvironment()).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageTrackingOptions>, UsageTrackingOptionsValidator>());
        return services.AddUsageTrackingCore(section[nameof(UsageTrackingOptions.Store)] ?? new UsageTrackingOptions().Store, section);
    }

    /// <summary>Adds usage tracking configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    public static IServiceCollection AddUsageTracking(this IServiceCollection services, Action<UsageTrackingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<UsageTrackingOptions>().Configure(configure);
        services.AddOptions<UsageTrackingOptions>().PostConfigure(o => o.ApplyEnvironment()).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageTrackingOptions>, UsageTrackingOptionsValidator>());
        // The store is chosen now, so its package can register what it provides: ask the settings which one they name.
        var probe = new UsageTrackingOptions();
        configure(probe);
        return services.AddUsageTrackingCore(probe.Store, configuration: null);
    }

    /// <summary>For <see cref="UsageTracker.Create(UsageTrackingOptions, ILoggerFactory?, IUsageStore?, TimeProvider?, IMeterFactory?, IConfiguration?)"/>: settings already checked.</summary>
    internal static IServiceCollection AddUsageTracking(this IServiceCollection services, UsageTrackingOptions settings, IConfiguration? configuration)
    {
        services.AddSingleton(Options.Create(settings));
        return services.AddUsageTrackingCore(settings.Store, configuration);
    }

    private static IServiceCollection AddUsageTrackingCore(this IServiceCollection services, string store, IConfiguration? configuration)
    {
        if (!services.Any(d => d.ServiceType == typeof(IUsageStore)))
        {
            var registered = services.Where(d => d.ServiceType == typeof(IUsageStoreProvider) && d.ImplementationInstance is not null)
                .Select(d => (IUsageStoreProvider)d.ImplementationInstance!);
            StoreResolver.Resolve(store, registered).AddStore(services, configuration);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageTrackingOptions>, StoreMatchesSettings>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetService<IUsageReader>() is { } reader
            ? new UsageAnalytics(reader, sp.GetService<IUsageAggregates>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<UsageTrackingOptions>>().Value.Funnels,
                sp.GetService<IUsageFunnelCounts>())
            : throw new InvalidOperationException($"The usage store ({sp.GetRequiredService<IUsageStore>().Description}) cannot read events back, so there are no stats or dashboards for it."));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<UsageTrackingOptions>>().Value;
            options.UserEnricher ??= sp.GetService<IUserEnricher>();
            return new UsageTracker(options, sp.GetRequiredService<IUsageStore>(), sp.GetService<IUsageRetention>(),
                sp.GetService<IUsageReader>() is null ? null : sp.GetRequiredService<UsageAnalytics>(),
                sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance, sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>());
        });
        services.TryAddSingleton<IUsageTracker>(sp => sp.GetRequiredService<UsageTracker>());
        services.AddHostedService<UsageTrackingHostedService>();
        return services;
    }

    private sealed class UsageTrackingOptionsValidator : IValidateOptions<UsageTrackingOptions>
    {
        public ValidateOptionsResult Validate(string? name, UsageTrackingOptions options)
        {
            var errors = options.Validate();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }

    /// <summary>A store chosen at registration must be the one the final settings name; a late change would otherwise be ignored.</summary>
    private sealed class StoreMatchesSettings(IEnumerable<UsageStoreRegistration> registrations) : IValidateOptions<UsageTrackingOptions>
    {
        public ValidateOptionsResult Validate(string? name, UsageTrackingOptions options)
        {
            var registered = registrations.LastOrDefault();
            return registered is null || StoreResolver.SameStore(registered.Name, options.Store)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"UsageTracking:Store is '{options.Store}', but the '{registered.Name}' store was registered: set Store in the configuration section AddUsageTracking reads, or register the store's package with its Add…UsageStore().");
        }
    }

    /// <summary>Starts the tracker with the host (so its start-up line and spool replay happen early) and flushes it, bounded, at shutdown.</summary>
    private sealed class UsageTrackingHostedService(UsageTracker tracker) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken) => await tracker.DisposeAsync().ConfigureAwait(false);
    }
}
