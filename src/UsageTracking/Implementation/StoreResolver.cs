using System.Reflection;

namespace UsageTracking.Implementation;

/// <summary>
/// Finds the provider for <see cref="UsageTrackingOptions.Store"/>: one given explicitly, else the assembly
/// <c>UsageTracking.&lt;Store&gt;</c> marked with <see cref="UsageStoreProviderAttribute"/>, so referencing a store
/// package is all an app does to use it.
/// </summary>
internal static class StoreResolver
{
    private static readonly Dictionary<string, string> PackageByStore = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sqlite"] = "UsageTracking.Sqlite",
        ["postgres"] = "UsageTracking.PostgreSql",
        ["postgresql"] = "UsageTracking.PostgreSql",
        ["databricks"] = "UsageTracking.Databricks",
    };

    public static IUsageStoreProvider Resolve(string store, IEnumerable<IUsageStoreProvider> registered)
    {
        var match = registered.FirstOrDefault(p => string.Equals(p.Name, store, StringComparison.OrdinalIgnoreCase));
        if (match is not null)
        {
            return match;
        }

        var package = PackageByStore.TryGetValue(store, out var known) ? known : $"UsageTracking.{store}";
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(package));
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            throw new ArgumentException(
                $"UsageTracking:Store is '{store}', but the package {package} that provides it is not referenced; known stores: sqlite, postgres, databricks.", ex);
        }

        foreach (var attribute in assembly.GetCustomAttributes<UsageStoreProviderAttribute>())
        {
            if (Activator.CreateInstance(attribute.ProviderType) is IUsageStoreProvider provider
                && string.Equals(provider.Name, store, StringComparison.OrdinalIgnoreCase) | PackageByStore.ContainsKey(store))
            {
                return provider;
            }
        }

        throw new ArgumentException($"UsageTracking:Store is '{store}', but {package} declares no store provider.");
    }
}
