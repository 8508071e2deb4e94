using System.Reflection;

namespace UsageTracking.Implementation;

/// <summary>
/// Finds the provider for <see cref="UsageTrackingOptions.Store"/>: one registered explicitly, else the assembly
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

    /// <summary>Whether two names mean the same store (<c>postgres</c> and <c>postgresql</c> do).</summary>
    public static bool SameStore(string a, string b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
        || PackageByStore.TryGetValue(a, out var pa) && PackageByStore.TryGetValue(b, out var pb) && pa == pb;

    public static IUsageStoreProvider Resolve(string store, IEnumerable<IUsageStoreProvider> registered)
    {
        var match = registered.FirstOrDefault(p => SameStore(p.Name, store));
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
            if (Activator.CreateInstance(attribute.ProviderType) is IUsageStoreProvider provider && SameStore(provider.Name, store))
            {
                return provider;
            }
        }

        throw new ArgumentException($"UsageTracking:Store is '{store}', but {package} declares no store provider.");
    }
}
