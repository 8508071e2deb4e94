using Microsoft.Extensions.Configuration;
using UsageTracking.Tests.Support;

namespace UsageTracking.Tests.Configuration;

public sealed class ModelPricingTests
{
    [Fact]
    public void DatedSnapshot_UsesTheLongestMatchingPrefix()
    {
        Assert.Same(ModelPricing.Defaults["gpt-4o-mini"], ModelPricing.Find(ModelPricing.Defaults, "gpt-4o-mini-2024-07-18"));
        Assert.Same(ModelPricing.Defaults["gpt-4o"], ModelPricing.Find(ModelPricing.Defaults, "gpt-4o-2024-08-06"));
        Assert.Null(ModelPricing.Find(ModelPricing.Defaults, "my-local-llama"));
    }

    [Fact]
    public void Estimate_PricesFreshCachedAndOutputTokensSeparately() =>
        Assert.Equal((1_000 * 2.50m + 500 * 1.25m + 200 * 10.00m) / 1_000_000m,
            ModelPricing.Estimate(ModelPricing.Defaults, "gpt-4o", inputTokens: 1_000, outputTokens: 200, cacheReadTokens: 500));

    [Fact]
    public async Task Tracker_PricesTokenUsageFromConfiguration_AndKeepsAnExplicitCost()
    {
        using var folder = new TempFolder();
        var options = Tracking.Options(folder);
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UsageTracking:ModelPrices:house-model:InputPerMillion"] = "1.5",
            ["UsageTracking:ModelPrices:house-model:OutputPerMillion"] = "6",
        }).Build().GetSection("UsageTracking").Bind(options);
        Assert.Empty(options.Validate());

        await using (var tracker = UsageTracker.Create(options, loggerFactory: null, store: Tracking.Store(folder)))
        {
            tracker.TrackTokenUsage("a@x.org", "house-model", inputTokens: 2_000, outputTokens: 1_000);
            tracker.TrackTokenUsage("a@x.org", "unknown-model", inputTokens: 2_000, outputTokens: 1_000);
            tracker.TrackTokenUsage("a@x.org", "house-model", inputTokens: 1, outputTokens: 1, costUsd: 9.99m);
        }

        Assert.Equal(1, Tracking.Scalar(folder, "SELECT COUNT(*) FROM central_app_usage WHERE model = 'house-model' AND abs(cost_usd - 0.009) < 1e-12"));
        Assert.Equal(1, Tracking.Scalar(folder, "SELECT COUNT(*) FROM central_app_usage WHERE model = 'unknown-model' AND cost_usd IS NULL"));
        Assert.Equal(1, Tracking.Scalar(folder, "SELECT COUNT(*) FROM central_app_usage WHERE cost_usd = 9.99"));
    }

    [Fact]
    public void NegativePrice_IsRefusedNamingTheSetting()
    {
        var options = new UsageTrackingOptions { ModelPrices = { ["m"] = new ModelPrice { InputPerMillion = -1 } } };
        Assert.Contains("UsageTracking:ModelPrices:m must have non-negative InputPerMillion, OutputPerMillion and CachedInputPerMillion.", options.Validate());
    }
}
