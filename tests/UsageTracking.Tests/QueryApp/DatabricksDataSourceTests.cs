using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using UsageTracking.Databricks;
using UsageTracking.QueryApp.Data;
using UsageTracking.Sql;
using UsageTracking.Testing;

namespace UsageTracking.Tests.QueryApp;

/// <summary>A Databricks table as a query app data source, through the Statement Execution client, against the emulator (a named fake).</summary>
public sealed class DatabricksDataSourceTests : IAsyncLifetime
{
    private DatabricksEmulator _warehouse = null!;

    public async Task InitializeAsync()
    {
        _warehouse = await DatabricksEmulator.StartAsync();
        await using var connection = new SqliteConnection($"Data Source={_warehouse.Database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE trials (nct_id TEXT, phase TEXT, enrollment INTEGER);
            INSERT INTO trials VALUES ('NCT1', 'Phase 1', 20), ('NCT2', 'Phase 2', 300), ('NCT3', 'Phase 2', 100);
            """;
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _warehouse.DisposeAsync();

    [Fact]
    public async Task Schema_AndQuery_GoThroughTheStatementApi_Typed()
    {
        using var source = new DatabricksSqlSource(_warehouse.Settings(), "main.demo.trials");
        var columns = await source.GetColumnsAsync(default);
        Assert.Equal(["nct_id", "phase", "enrollment"], columns.Select(c => c.Name));

        var (names, rows) = await QueryRun.AllAsync(new DataSource("databricks", "Databricks", "none", source), "SELECT phase, COUNT(*) AS studies, SUM(enrollment) AS people FROM `main`.`demo`.`trials` GROUP BY phase ORDER BY phase");
        Assert.Equal(["phase", "studies", "people"], names);
        Assert.Equal([["Phase 1", 1L, 20L], ["Phase 2", 2L, 400L]], rows);
        Assert.Equal(1, _warehouse.Executed("query"));
        Assert.StartsWith("-- usage_tracking:query\nSELECT phase", _warehouse.StatementTexts.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WarehouseError_IsOneSentenceForTheUser()
    {
        using var source = new DatabricksSqlSource(_warehouse.Settings(), "main.demo.trials");
        var error = await Assert.ThrowsAsync<SqlQueryException>(() => QueryRun.AllAsync(new DataSource("databricks", "Databricks", "none", source), "SELECT missing FROM `main`.`demo`.`trials`"));
        Assert.StartsWith("Databricks says: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(DatabricksEmulator.Token, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AsksTheWarehouseToExplain_AndReadsAPlanningErrorFromThePlan()
    {
        using var source = new DatabricksSqlSource(_warehouse.Settings(), "main.demo.trials");
        var limits = new SqlLimits(TimeSpan.FromSeconds(10));
        await source.CheckAsync("SELECT phase, COUNT(*) AS studies FROM `main`.`demo`.`trials` GROUP BY phase", limits, default);
        Assert.StartsWith("-- usage_tracking:check\nEXPLAIN SELECT phase", _warehouse.StatementTexts.Last(), StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<SqlQueryException>(() => source.CheckAsync("SELECT age FROM `main`.`demo`.`trials`", limits, default));
        Assert.StartsWith("Databricks says: [UNRESOLVED_COLUMN]", error.Message, StringComparison.Ordinal);
        Assert.Contains("no such column: age", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _warehouse.Executed("query"));
    }

    [Fact]
    public async Task AResultLargerThanTheWarehouseReturns_FailsAtItsEnd_NeverLooksComplete()
    {
        await using (var connection = new SqliteConnection($"Data Source={_warehouse.Database}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE wide (id INTEGER, body TEXT);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 14000) INSERT INTO wide SELECT i, printf('%.2000c', 'w') FROM n;
                """;
            await command.ExecuteNonQueryAsync();
        }

        using var source = new DatabricksSqlSource(_warehouse.Settings(), "main.demo.wide");
        await using var reader = await source.OpenAsync("SELECT id, body FROM `main`.`demo`.`wide` ORDER BY id", new SqlLimits(TimeSpan.FromSeconds(30)), default);
        var rows = 0;
        var error = await Assert.ThrowsAsync<SqlQueryException>(async () =>
        {
            while (await reader.ReadAsync(default))
            {
                rows++;
            }
        });

        Assert.InRange(rows, 1, 13_999);
        Assert.Equal("The warehouse returns at most 24 MiB per query and this result is larger; select fewer rows or columns.", error.Message);
    }

    [Fact]
    public async Task TwoColumnsOfOneName_KeepTheirOwnValues()
    {
        using var source = new DatabricksSqlSource(_warehouse.Settings(), "main.demo.trials");
        var (names, rows) = await QueryRun.AllAsync(new DataSource("databricks", "Databricks", "none", source),
            "SELECT a.phase, b.phase FROM `main`.`demo`.`trials` a JOIN `main`.`demo`.`trials` b ON a.nct_id = 'NCT1' AND b.nct_id = 'NCT2'");
        Assert.Equal(["phase", "phase"], names);
        Assert.Equal([["Phase 1", "Phase 2"]], rows);
    }

    [Fact]
    public async Task ConfiguredTable_IsOfferedInTheApp()
    {
        await using var host = await QueryAppHost.StartAsync(100,
            ("QueryApp:DatabricksTable", "main.demo.trials"),
            ("QueryApp:Databricks:Host", _warehouse.BaseAddress.ToString()),
            ("QueryApp:Databricks:HttpPath", $"/sql/1.0/warehouses/{DatabricksEmulator.Warehouse}"),
            ("QueryApp:Databricks:AccessToken", DatabricksEmulator.Token));
        using var client = host.Client();
        Assert.Contains("Databricks: main.demo.trials", await client.GetStringAsync("/?source=databricks"), StringComparison.Ordinal);
        var response = await client.PostAsJsonAsync("/api/run", new { source = "databricks", sql = "SELECT COUNT(*) AS n FROM `main`.`demo`.`trials`" });
        var run = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, run.GetProperty("rows")[0][0].GetInt64());
    }
}
