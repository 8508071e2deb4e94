using UsageTracking.QueryApp.Sql;
using UsageTracking.Sql;

namespace UsageTracking.Tests.QueryApp;

public sealed class SelectEditorTests
{
    [Fact]
    public void PlainQuery_GainsTheColumnsAtTheEndOfItsSelectList()
    {
        var (sql, error) = SelectEditor.AddColumns("SELECT nct_id, title\nFROM clinical_trials\nWHERE phase = 'Phase 3'\nLIMIT 10;", ["sponsor", "country"], SqlDialect.Sqlite);
        Assert.Null(error);
        Assert.Equal("SELECT nct_id, title, sponsor, country\nFROM clinical_trials\nWHERE phase = 'Phase 3'\nLIMIT 10;", sql);
    }

    [Fact]
    public void AggregateQuery_AlsoGroupsByTheNewColumns()
    {
        var (sql, _) = SelectEditor.AddColumns("SELECT phase, COUNT(*) AS studies\nFROM clinical_trials\nGROUP BY phase\nORDER BY studies DESC;", ["status"], SqlDialect.Sqlite);
        Assert.Equal("SELECT phase, COUNT(*) AS studies, status\nFROM clinical_trials\nGROUP BY phase, status\nORDER BY studies DESC;", sql);
    }

    [Fact]
    public void ColumnsAlreadySelected_AreNotRepeated()
    {
        var (sql, _) = SelectEditor.AddColumns("SELECT phase FROM clinical_trials", ["PHASE"], SqlDialect.Sqlite);
        Assert.Equal("SELECT phase FROM clinical_trials", sql);
    }

    [Fact]
    public void OuterSelect_IsEdited_NotTheCte()
    {
        var (sql, _) = SelectEditor.AddColumns("WITH t AS (SELECT * FROM clinical_trials) SELECT phase FROM t", ["status"], SqlDialect.Sqlite);
        Assert.Equal("WITH t AS (SELECT * FROM clinical_trials) SELECT phase, status FROM t", sql);
    }

    [Fact]
    public void ReservedNames_AreQuotedForTheDialect()
    {
        Assert.Equal("SELECT action, \"user\" FROM u", SelectEditor.AddColumns("SELECT action FROM u", ["user"], SqlDialect.Sqlite).Sql);
        Assert.Equal("SELECT action, `user` FROM u", SelectEditor.AddColumns("SELECT action FROM u", ["user"], SqlDialect.Databricks).Sql);
    }

    [Fact]
    public void QueryWithoutFrom_IsExplained()
    {
        var (sql, error) = SelectEditor.AddColumns("SELECT 1", ["x"], SqlDialect.Sqlite);
        Assert.Null(sql);
        Assert.Equal("Columns can be added only to a query of the form SELECT … FROM ….", error);
    }
}
