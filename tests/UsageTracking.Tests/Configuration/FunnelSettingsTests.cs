using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UsageTracking.Analytics;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Configuration;

/// <summary>Funnels from configuration: bound as an operator writes them, checked with one sentence naming the setting.</summary>
public sealed class FunnelSettingsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TheOnboardingExample_BindsFromConfiguration_AndIsValid()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UsageTracking:DataDirectory"] = _folder.Path,
            ["UsageTracking:Funnels:0:Name"] = "Onboarding",
            ["UsageTracking:Funnels:0:App"] = "csbot",
            ["UsageTracking:Funnels:0:CountBy"] = "User",
            ["UsageTracking:Funnels:0:Steps:0"] = Actions.OrganizationCreated,
            ["UsageTracking:Funnels:0:Steps:1"] = Actions.GovernanceChannelCreated,
            ["UsageTracking:Funnels:0:Steps:2"] = Actions.ConnectionSetupSucceeded,
        }).Build();
        using var services = new ServiceCollection().AddUsageTracking(configuration.GetSection("UsageTracking")).BuildServiceProvider();
        var options = services.GetRequiredService<IOptions<UsageTrackingOptions>>().Value;

        var funnel = Assert.Single(options.Funnels);
        Assert.Equal(("Onboarding", "csbot", FunnelUnit.User), (funnel.Name, funnel.App, funnel.CountBy));
        Assert.Equal([Actions.OrganizationCreated, Actions.GovernanceChannelCreated, Actions.ConnectionSetupSucceeded], funnel.Steps);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void ABadFunnel_IsNamedInOneSentence()
    {
        var options = new UsageTrackingOptions
        {
            Funnels =
            [
                new FunnelDefinition { Name = "", Steps = ["a", "b"] },
                new FunnelDefinition { Name = "one step", Steps = ["a"] },
                new FunnelDefinition { Name = "twice", Steps = ["a", "b", "a"] },
            ],
        };
        var problems = options.Validate();
        Assert.Contains("UsageTracking:Funnels:0:Name is required.", problems);
        Assert.Contains("UsageTracking:Funnels:1:Steps needs two actions at least, none blank.", problems);
        Assert.Contains("UsageTracking:Funnels:2:Steps names an action twice.", problems);
    }
}
