using System.CommandLine;

namespace UsageTracking.Cli;

/// <summary>Options every command takes; each overrides the matching <c>UsageTracking:*</c> setting.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Store = new("--store") { Description = "Store to use (sqlite, postgres, databricks); overrides UsageTracking:Store.", Recursive = true };
    public static readonly Option<string?> Connection = new("--connection", "--database") { Description = "Store location; for sqlite a file path. Overrides UsageTracking:ConnectionString.", Recursive = true };
    public static readonly Option<string?> App = new("--app") { Description = "App name; overrides UsageTracking:AppName.", Recursive = true };
    public static readonly Option<string?> Table = new("--table") { Description = "Usage table; overrides UsageTracking:TableName.", Recursive = true };
    public static readonly Option<string?> Spool = new("--spool-dir") { Description = "Spool folder; overrides UsageTracking:SpoolDirectory.", Recursive = true };
    public static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Log what the tracker does to stderr.", Recursive = true };

    public static void AddTo(Command root)
    {
        root.Add(Store);
        root.Add(Connection);
        root.Add(App);
        root.Add(Table);
        root.Add(Spool);
        root.Add(Verbose);
    }
}
