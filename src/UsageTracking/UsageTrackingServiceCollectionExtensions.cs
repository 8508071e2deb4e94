using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UsageTracking.Implementation;

namespace UsageTracking;

/// <summary>Registers the tracker: a singleton <see cref="IUsageTracker"/> and a hosted service that flushes it at shutdown.</summary>
public static class UsageTrackingServiceCollectionExtensions
{
    /// <summary>Adds usage tracking configured from <paramref name="section"/> (normally <c>configuration.GetSection("UsageTracking")</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The <c>UsageTracking</c> section; store packages read their own settings from it too.</param>
    public static IServiceCollection AddUsageTracking(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<UsageTrackingOptions>().Bind(section);
        services.TryAddSingleton(new UsageTrackingConfiguration(section));
        return services.AddUsageTrackingCore();
    }

    /// <summary>Adds usage tracking configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    public static IServiceCollection AddUsageTracking(this IServiceCollection services, Action<UsageTrackingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<UsageTrackingOptions>().Configure(configure);
        return services.AddUsageTrackingCore();
    }

    private static IServiceCollection AddUsageTrackingCore(this IServiceCollection services)
    {
        services.AddOptions<UsageTrackingOptions>().PostConfigure(o => o.ApplyEnvironment()).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageTrackingOptions>, UsageTrackingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<UsageTrackingOptions>>().Value;
            options.UserEnricher ??= sp.GetService<IUserEnricher>();
            var loggerFactory = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            var provider = StoreResolver.Resolve(options.Store, sp.GetServices<IUsageStoreProvider>());
            return UsageTracker.Create(options, provider, loggerFactory, sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IMeterFactory>(), sp.GetService<UsageTrackingConfiguration>()?.Section);
        });
        services.TryAddSingleton<IUsageTracker>(sp => sp.GetRequiredService<UsageTracker>());
        services.AddHostedService<UsageTrackingHostedService>();
        return services;
    }

    private sealed record UsageTrackingConfiguration(IConfiguration Section);

    private sealed class UsageTrackingOptionsValidator : IValidateOptions<UsageTrackingOptions>
    {
        public ValidateOptionsResult Validate(string? name, UsageTrackingOptions options)
        {
            var errors = options.Validate();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }

    /// <summary>Starts the tracker with the host (so its start-up line and spool replay happen early) and flushes it, bounded, at shutdown.</summary>
    private sealed class UsageTrackingHostedService(UsageTracker tracker) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken) => await tracker.DisposeAsync().ConfigureAwait(false);
    }
}
