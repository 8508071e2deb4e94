using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Sql;

namespace UsageTracking.Tests.QueryApp;

/// <summary>Runs SQL through the guard and a data source, as the app does, and returns the rows.</summary>
internal static class QueryRun
{
    public static async Task<(IReadOnlyList<string> Names, List<object?[]> Rows)> AllAsync(IDataSource source, string sql)
    {
        var check = SqlGuard.Check(sql, source.Dialect);
        Assert.True(check.IsAllowed, $"{check.Reason}\n{sql}");
        await using var reader = await source.OpenAsync(check.Sql, new UsageTracking.Sql.SqlLimits(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(CancellationToken.None))
        {
            rows.Add((object?[])reader.Current.Clone());
        }

        return (reader.Names, rows);
    }
}
