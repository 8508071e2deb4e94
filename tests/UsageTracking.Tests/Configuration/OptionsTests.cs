using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Configuration;

/// <summary>Settings: binding, validation that names the setting, environment overrides and DI registration.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class OptionsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(nameof(UsageTrackingOptions.BatchSize), "0", "UsageTracking:BatchSize")]
    [InlineData(nameof(UsageTrackingOptions.QueueCapacity), "-5", "UsageTracking:QueueCapacity")]
    [InlineData(nameof(UsageTrackingOptions.TableName), "usage; DROP TABLE x", "UsageTracking:TableName")]
    [InlineData(nameof(UsageTrackingOptions.AppName), "", "UsageTracking:AppName")]
    [InlineData(nameof(UsageTrackingOptions.RetentionDays), "-1", "UsageTracking:RetentionDays")]
    [InlineData(nameof(UsageTrackingOptions.FlushInterval), "00:00:00", "UsageTracking:FlushInterval")]
    [InlineData(nameof(UsageTrackingOptions.SpoolMaxBytes), "10", "UsageTracking:SpoolMaxBytes")]
    public async Task InvalidSetting_FailsAtStart_WithMessageNamingIt(string key, string value, string expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(Settings((key, value)));
        builder.Services.AddUsageTracking(builder.Configuration.GetSection("UsageTracking"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);

        var direct = Assert.Throws<ArgumentException>(() => UsageTracker.Create(Bind(Settings((key, value)))));
        Assert.Contains(expected, direct.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownStore_FailsWithMessageNamingTheMissingPackage()
    {
        var error = Assert.Throws<ArgumentException>(() => UsageTracker.Create(Bind(Settings(("Store", "mongodb")))));
        Assert.Contains("UsageTracking.mongodb", error.Message, StringComparison.Ordinal);
        Assert.Contains("UsageTracking:Store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_ReadsEverySettingFromConfiguration()
    {
        var options = Bind(Settings(("BatchSize", "250"), ("FlushInterval", "00:00:02"), ("Durable", "true"), ("DefaultUser", "bot@example.com"), ("RetentionDays", "30")));
        Assert.Equal((250, TimeSpan.FromSeconds(2), true, "bot@example.com", 30), (options.BatchSize, options.FlushInterval, options.Durable, options.DefaultUser, options.RetentionDays));
        Assert.Equal(_folder.Spool, options.ResolvedSpoolDirectory);
        Assert.Equal(180, new UsageTrackingOptions().RetentionDays);
        Assert.Equal("central_app_usage", new UsageTrackingOptions().TableName);
    }

    [Fact]
    public async Task AddUsageTracking_WithHost_ResolvesSingletonTracker_AndFlushesOnShutdown()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(Settings(("FlushInterval", "00:10:00")));
        builder.Services.AddUsageTracking(builder.Configuration.GetSection("UsageTracking"));
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var tracker = host.Services.GetRequiredService<IUsageTracker>();
            Assert.Same(tracker, host.Services.GetRequiredService<IUsageTracker>());
            Assert.Same(tracker, host.Services.GetRequiredService<UsageTracker>());
            tracker.TrackUserAction("ann@example.com", Actions.AppStart);
            await host.StopAsync();
        }

        Assert.Equal(1, Tracking.Rows(_folder));
    }

    [Fact]
    public async Task AddUsageTracking_WithDelegate_Works()
    {
        var services = new ServiceCollection();
        services.AddUsageTracking(o =>
        {
            o.AppName = "delegate-app";
            o.DataDirectory = _folder.Path;
            o.ConnectionString = _folder.Database;
            o.SpoolDirectory = _folder.Spool;
        });
        await using var provider = services.BuildServiceProvider();
        var tracker = provider.GetRequiredService<IUsageTracker>();
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        await tracker.FlushAsync();
        Assert.Equal(1, Tracking.Scalar(_folder, "SELECT COUNT(*) FROM central_app_usage WHERE app_name = 'delegate-app'"));
    }

    [Fact]
    public async Task AnalyticsEnabledFalseInEnvironment_TurnsTrackingOff()
    {
        using var _ = new EnvironmentVariable("ANALYTICS_ENABLED", "false");
        await using var tracker = UsageTracker.Create(Bind(Settings()));
        tracker.TrackUserAction("ann@example.com", Actions.AppStart);
        var result = await tracker.FlushAsync();
        Assert.False(tracker.Options.Enabled);
        Assert.Equal(0, result.Written);
        Assert.Equal(0, Tracking.Rows(_folder));
    }

    [Fact]
    public async Task DebugLoggingTrueInEnvironment_TurnsDebugLoggingOn()
    {
        using var _ = new EnvironmentVariable("DEBUG_LOGGING", "true");
        await using var tracker = UsageTracker.Create(Bind(Settings()));
        Assert.True(tracker.Options.DebugLogging);
    }

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["UsageTracking:AppName"] = "options-test",
            ["UsageTracking:DataDirectory"] = _folder.Path,
            ["UsageTracking:ConnectionString"] = _folder.Database,
            ["UsageTracking:SpoolDirectory"] = _folder.Spool,
        };
        foreach (var (key, value) in overrides)
        {
            settings[$"UsageTracking:{key}"] = value;
        }

        return settings;
    }

    private static UsageTrackingOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new UsageTrackingOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("UsageTracking").Bind(options);
        return options;
    }
}
