namespace UsageTracking.Reporting;

/// <summary>The front-end files embedded in this assembly: Chart.js (from npm), the dashboard script and its styles.</summary>
public static class ReportAssets
{
    /// <summary>The prefix of their manifest resource names, for an <c>EmbeddedFileProvider</c>.</summary>
    public const string ResourceNamespace = "UsageTracking.Reporting.Assets";

    /// <summary>The text of one asset: <c>chart.umd.min.js</c>, <c>dashboard.js</c> or <c>dashboard.css</c>.</summary>
    public static string Read(string name)
    {
        using var stream = typeof(ReportAssets).Assembly.GetManifestResourceStream($"{ResourceNamespace}.{name}")
            ?? throw new FileNotFoundException($"The embedded asset {name} is missing; rebuild UsageTracking.Reporting (its build installs the npm modules).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
