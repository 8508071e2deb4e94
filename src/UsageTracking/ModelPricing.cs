namespace UsageTracking;

/// <summary>What a model costs per million tokens, in US dollars.</summary>
public sealed class ModelPrice
{
    /// <summary>Price of a million input (prompt) tokens.</summary>
    public decimal InputPerMillion { get; set; }

    /// <summary>Price of a million output (completion) tokens.</summary>
    public decimal OutputPerMillion { get; set; }

    /// <summary>Price of a million input tokens read from the provider's prompt cache; null means the input price.</summary>
    public decimal? CachedInputPerMillion { get; set; }
}

/// <summary>
/// Prices <c>token_usage</c> events that arrive without a cost. Models are matched exactly, then by the longest
/// configured prefix, so <c>gpt-4o-2024-08-06</c> uses the <c>gpt-4o</c> price. Unknown models get no cost rather than a guess.
/// </summary>
public static class ModelPricing
{
    /// <summary>
    /// List prices of common models (USD per million tokens, as published by the providers in 2025); override or add
    /// models with <see cref="UsageTrackingOptions.ModelPrices"/> (<c>UsageTracking:ModelPrices:&lt;model&gt;:InputPerMillion</c> …).
    /// </summary>
    public static IReadOnlyDictionary<string, ModelPrice> Defaults { get; } = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o"] = new() { InputPerMillion = 2.50m, OutputPerMillion = 10.00m, CachedInputPerMillion = 1.25m },
        ["gpt-4o-mini"] = new() { InputPerMillion = 0.15m, OutputPerMillion = 0.60m, CachedInputPerMillion = 0.075m },
        ["gpt-4.1"] = new() { InputPerMillion = 2.00m, OutputPerMillion = 8.00m, CachedInputPerMillion = 0.50m },
        ["gpt-4.1-mini"] = new() { InputPerMillion = 0.40m, OutputPerMillion = 1.60m, CachedInputPerMillion = 0.10m },
        ["gpt-4.1-nano"] = new() { InputPerMillion = 0.10m, OutputPerMillion = 0.40m, CachedInputPerMillion = 0.025m },
        ["o3"] = new() { InputPerMillion = 2.00m, OutputPerMillion = 8.00m, CachedInputPerMillion = 0.50m },
        ["o4-mini"] = new() { InputPerMillion = 1.10m, OutputPerMillion = 4.40m, CachedInputPerMillion = 0.275m },
        ["claude-sonnet-4"] = new() { InputPerMillion = 3.00m, OutputPerMillion = 15.00m, CachedInputPerMillion = 0.30m },
        ["claude-3-5-haiku"] = new() { InputPerMillion = 0.80m, OutputPerMillion = 4.00m, CachedInputPerMillion = 0.08m },
        ["claude-opus-4"] = new() { InputPerMillion = 15.00m, OutputPerMillion = 75.00m, CachedInputPerMillion = 1.50m },
        ["databricks-meta-llama-3-3-70b-instruct"] = new() { InputPerMillion = 0.50m, OutputPerMillion = 1.50m },
    };

    /// <summary>The defaults with <paramref name="overrides"/> laid over them.</summary>
    public static IReadOnlyDictionary<string, ModelPrice> Merge(IReadOnlyDictionary<string, ModelPrice>? overrides)
    {
        var merged = new Dictionary<string, ModelPrice>(Defaults, StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in overrides ?? new Dictionary<string, ModelPrice>())
        {
            merged[model] = price;
        }

        return merged;
    }

    /// <summary>The price of <paramref name="model"/>: exact match, else the longest matching prefix, else null.</summary>
    public static ModelPrice? Find(IReadOnlyDictionary<string, ModelPrice> prices, string? model)
    {
        ArgumentNullException.ThrowIfNull(prices);
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        if (prices.TryGetValue(model, out var exact))
        {
            return exact;
        }

        ModelPrice? best = null;
        var bestLength = 0;
        foreach (var (name, price) in prices)
        {
            if (name.Length > bestLength && model.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                (best, bestLength) = (price, name.Length);
            }
        }

        return best;
    }

    /// <summary>
    /// The estimated cost of a call: input and cache-creation tokens at the input price, cache reads at the cached
    /// price, output at the output price. Null when the model has no price.
    /// </summary>
    public static decimal? Estimate(IReadOnlyDictionary<string, ModelPrice> prices, string? model, long inputTokens, long outputTokens, long cacheReadTokens = 0, long cacheCreationTokens = 0)
    {
        if (Find(prices, model) is not { } price)
        {
            return null;
        }

        var cost = (Math.Max(0, inputTokens) + Math.Max(0, cacheCreationTokens)) * price.InputPerMillion
            + Math.Max(0, cacheReadTokens) * (price.CachedInputPerMillion ?? price.InputPerMillion)
            + Math.Max(0, outputTokens) * price.OutputPerMillion;
        return Math.Round(cost / 1_000_000m, 8);
    }
}
