using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation;
using UsageTracking.QueryApp.Generation.Interpreting;
using ColumnKind = UsageTracking.QueryApp.Generation.Interpreting.ColumnKind;
using UsageTracking.Sql;

namespace UsageTracking.Tests.QueryApp;

/// <summary>
/// The interpreter and renderer on a model of the demo table built in memory (no database): the value index, the date
/// column a question implies, top-N, negation, refusals, and each dialect's SQL.
/// </summary>
public sealed class InterpreterTests
{
    private static SourceModel Model(SqlDialect dialect = SqlDialect.Sqlite, Glossary? glossary = null) => new("demo", "clinical_trials", dialect,
    [
        new ModelColumn("nct_id", ColumnKind.Text, "TEXT"),
        new ModelColumn("title", ColumnKind.Text, "TEXT"),
        new ModelColumn("phase", ColumnKind.Text, "TEXT", DemoData.Phases.Order(StringComparer.Ordinal).ToList()),
        new ModelColumn("status", ColumnKind.Text, "TEXT", DemoData.Statuses.Order(StringComparer.Ordinal).ToList()),
        new ModelColumn("condition", ColumnKind.Text, "TEXT", DemoData.Conditions.Order(StringComparer.Ordinal).ToList()),
        new ModelColumn("sponsor", ColumnKind.Text, "TEXT", DemoData.Sponsors.Order(StringComparer.Ordinal).ToList()),
        new ModelColumn("country", ColumnKind.Text, "TEXT", DemoData.Countries.Order(StringComparer.Ordinal).ToList()),
        new ModelColumn("start_date", ColumnKind.Date, dialect == SqlDialect.Sqlite ? "TEXT" : "DATE"),
        new ModelColumn("completion_date", ColumnKind.Date, dialect == SqlDialect.Sqlite ? "TEXT" : "DATE"),
        new ModelColumn("enrollment", ColumnKind.Number, "INTEGER"),
    ], glossary ?? Glossary.ForDomain("clinical_trials"));

    private static readonly Interpreter Reader = new(Model());

    private static string Understood(string question)
    {
        var result = Reader.Interpret(question);
        Assert.True(result.Interpretation is not null, $"'{question}' was refused: {result.Refusal}");
        return result.Interpretation.Describe();
    }

    private static string Refused(string question)
    {
        var result = Reader.Interpret(question);
        Assert.True(result.Interpretation is null, $"'{question}' was understood as {result.Interpretation?.Describe()}");
        return result.Refusal!;
    }

    private static string Sql(string question, SqlDialect dialect)
    {
        var model = Model(dialect);
        var interpretation = new Interpreter(model).Interpret(question).Interpretation ?? throw new InvalidOperationException($"'{question}' was refused");
        var (sql, problem) = new SqlRenderer(model).Render(interpretation);
        return sql ?? throw new InvalidOperationException(problem);
    }

    [Theory]
    [InlineData("How many studies in alzheimers?", "where condition is Alzheimer's Disease")]
    [InlineData("how many ALZHEIMER'S DISEASE trials", "where condition is Alzheimer's Disease")]
    [InlineData("studies of breast cancers", "where condition is Breast Cancer")]
    [InlineData("How many phase II studies?", "where phase is Phase 2")]
    [InlineData("Recruiting studies in Japan or Germany", "where status is Recruiting and country is one of Japan, Germany")]
    public void TheValueIndex_MatchesValuesWhateverTheirCase_PluralOrApostrophe(string question, string filter) =>
        Assert.Contains(filter, Understood(question), StringComparison.Ordinal);

    [Theory]
    [InlineData("How many studies started in 2020?", "start date")]
    [InlineData("How many studies began after 2022?", "start date")]
    [InlineData("How many studies end after 2030?", "completion date")]
    [InlineData("How many studies finished before 2015?", "completion date")]
    [InlineData("How many studies completed in 2021?", "completion date")]
    [InlineData("How many studies in 2019?", "start date")]
    public void TheDateColumn_IsTheOneTheQuestionNamesOrImplies(string question, string column)
    {
        var described = Understood(question);
        Assert.Contains($"where {column}", described, StringComparison.Ordinal);
        var other = column == "start date" ? "completion date" : "start date";
        Assert.DoesNotContain(other, described, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("List the 5 largest studies by enrollment", "top 5 by enrollment", "LIMIT 5")]
    [InlineData("Top three sponsors by number of studies", "top 3 by count of studies", "LIMIT 3")]
    [InlineData("Which 12 countries have the fewest studies?", "bottom 12 by count of studies", "LIMIT 12")]
    [InlineData("Top 4 least common conditions", "bottom 4 by count of studies", "LIMIT 4")]
    [InlineData("What 7 sponsors have the most studies?", "top 7 by count of studies", "LIMIT 7")]
    public void TopAndBottomN_HonourN(string question, string described, string limit)
    {
        Assert.EndsWith(described, Understood(question), StringComparison.Ordinal);
        Assert.Contains(limit, Sql(question, SqlDialect.Sqlite), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("How many studies are not completed?", "where status is not Completed", "(status <> 'Completed' OR status IS NULL)")]
    [InlineData("Studies outside the United States", "where country is not United States", "(country <> 'United States' OR country IS NULL)")]
    [InlineData("How many studies have no completion date?", "where completion date is missing", "completion_date IS NULL")]
    public void Negation_IsKept_NeverDropped(string question, string described, string sql)
    {
        Assert.Contains(described, Understood(question), StringComparison.Ordinal);
        Assert.Contains(sql, Sql(question, SqlDialect.Sqlite).Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("How many studies don't have an end date?", "count of studies · where completion date is missing")]
    [InlineData("Count studies where enrollment is between 100 and 200", "count of studies · where enrollment is between 100 and 200")]
    [InlineData("How many patients were enrolled in total in 2022?", "total enrollment · where start date in 2022")]
    [InlineData("How many studies did Novartis start last year?", "count of studies · where sponsor is Novartis and start date in the previous calendar year")]
    [InlineData("How many studies started in the last year?", "count of studies · where start date in the last 365 days")]
    public void EverydayPhrasings_ReadAsMeant(string question, string described) => Assert.Equal(described, Understood(question));

    [Theory]
    [InlineData("error rate by action", "share of events where errors only (%) · by action")]
    [InlineData("which actions fail most often", "count of events · where errors only · by action · top 10 by count of events")]
    public void UsageRates_AreTheShareOfTheConditionBeforeThem(string question, string described)
    {
        var model = new SourceModel("usage", "central_app_usage", SqlDialect.Sqlite,
        [
            new ModelColumn("timestamp", ColumnKind.Date, "TEXT") { HasTime = true },
            new ModelColumn("user", ColumnKind.Text, "TEXT", ["ana@example.org"]),
            new ModelColumn("action", ColumnKind.Text, "TEXT", Actions.All.Order(StringComparer.Ordinal).ToList()),
            new ModelColumn("is_error", ColumnKind.Flag, "INTEGER"),
        ], Glossary.ForDomain("usage"));
        Assert.Equal(described, new Interpreter(model).Interpret(question).Interpretation?.Describe());
    }

    [Fact]
    public async Task TheUsageTable_KnowsEveryActionName_BeforeAnyIsTracked()
    {
        using var folder = new Support.TempFolder();
        var path = folder.File("usage.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE central_app_usage (\"timestamp\" TEXT, app_name TEXT, \"user\" TEXT, action TEXT, duration_ms REAL)";
            await command.ExecuteNonQueryAsync();
        }

        var source = new DataSource("usage", "Usage", "usage", new UsageTracking.Sqlite.SqliteSqlSource(path, "central_app_usage"));
        var (_, interpreter) = await new SourceModels().GetAsync(source, default);
        Assert.Equal("average duration ms · where action is generate_chart", interpreter.Interpret("average duration of generate_chart").Interpretation?.Describe());
    }

    [Theory]
    [InlineData(SqlDialect.Sqlite, "start_date >= date('now', 'start of year', '-1 year') AND start_date < date('now', 'start of year')")]
    [InlineData(SqlDialect.Postgres, "start_date >= (date_trunc('year', now() AT TIME ZONE 'UTC') - INTERVAL '1 year') AT TIME ZONE 'UTC' AND start_date < date_trunc('year', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")]
    [InlineData(SqlDialect.Databricks, "start_date >= date_trunc('YEAR', current_date()) - INTERVAL 1 YEAR AND start_date < date_trunc('YEAR', current_date())")]
    public void LastYear_IsThePreviousCalendarYear_InEachDialect(SqlDialect dialect, string condition) =>
        Assert.Contains(condition, Sql("How many studies started last year?", dialect), StringComparison.Ordinal);

    [Fact]
    public void AWordThatIsNothing_IsRefused_NamingItAndTheColumns() =>
        Assert.Equal(
            "I did not understand “weather”: it is not a column, a value or a term of clinical_trials, whose columns are nct_id, title, phase, status, condition, sponsor, country, start_date, completion_date, enrollment.",
            Refused("Show me the weather in Paris"));

    [Fact]
    public void AColumnTheTableDoesNotHave_IsRefused_NotAnsweredWithANeighbour()
    {
        var refusal = Refused("What is the average age of participants?");
        Assert.StartsWith("I did not understand “age”", refusal, StringComparison.Ordinal);
        Assert.Equal(["age"], Reader.Interpret("What is the average age of participants?").Unknown);
    }

    [Fact]
    public void AMisspeltValue_IsRefused_WithTheClosestRealValues()
    {
        var refusal = Refused("How many studies on diabetis type 3 in Atlantis?");
        Assert.Contains("“Atlantis”", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void AGlossaryTerm_StandsForItsValues()
    {
        var glossary = Glossary.ForDomain("clinical_trials") with
        {
            Terms = new Dictionary<string, GlossaryTerm> { ["dermatology"] = new() { Column = "condition", Values = ["Psoriasis", "Melanoma"] } },
        };
        var interpretation = new Interpreter(Model(glossary: glossary)).Interpret("How many dermatology studies by country?").Interpretation;
        Assert.Equal("count of studies · where condition is one of Psoriasis, Melanoma · by country", interpretation?.Describe());
    }

    [Fact]
    public void ATermTaughtByOneUser_ReadsOnlyTheirQuestions_UntilShared()
    {
        var taught = new GlossaryTerm { Column = "condition", Values = ["Psoriasis"], TaughtBy = "ana@example.org" };
        var glossary = new Glossary { Terms = new Dictionary<string, GlossaryTerm> { ["skin"] = taught } };
        Assert.True(glossary.For("ANA@example.org").Terms.ContainsKey("skin"));
        Assert.False(glossary.For("ben@example.org").Terms.ContainsKey("skin"));
        Assert.False(glossary.For(null).Terms.ContainsKey("skin"));
        Assert.True(glossary.HasOwnTerms("ana@example.org"));
        var shared = glossary with { Terms = new Dictionary<string, GlossaryTerm> { ["skin"] = taught with { SharedBy = "boss@example.org" } } };
        Assert.True(shared.For("ben@example.org").Terms.ContainsKey("skin"));
        Assert.False(shared.HasOwnTerms("ana@example.org"));
    }

    [Theory]
    [InlineData(SqlDialect.Sqlite, "strftime('%Y', start_date)")]
    [InlineData(SqlDialect.Postgres, "to_char(start_date, 'YYYY')")]
    [InlineData(SqlDialect.Databricks, "date_format(start_date, 'yyyy')")]
    public void YearBuckets_AreWrittenInTheSourcesDialect(SqlDialect dialect, string bucket) =>
        Assert.Contains(bucket, Sql("How many studies started per year?", dialect), StringComparison.Ordinal);

    [Theory]
    [InlineData(SqlDialect.Postgres, "percentile_cont(0.5) WITHIN GROUP (ORDER BY enrollment)")]
    [InlineData(SqlDialect.Databricks, "percentile(enrollment, 0.5)")]
    public void Medians_UseTheDialectsPercentile(SqlDialect dialect, string median) =>
        Assert.Contains(median, Sql("What is the median enrollment?", dialect), StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void FewShotRetrieval_PutsTheClosestExampleNextToTheQuestion()
    {
        SavedExample Example(string question) => new("demo", question, "SELECT 1", DateTimeOffset.UnixEpoch);
        var examples = new[] { Example("Studies by country"), Example("Average enrollment by phase"), Example("How many studies in Japan?"), Example("Median enrollment of Pfizer studies") };
        var picked = ExampleRetrieval.MostSimilar("What is the average enrollment of Pfizer studies?", examples, 3);
        Assert.Equal(3, picked.Count);
        Assert.Equal("Median enrollment of Pfizer studies", picked[^1].Question);
        Assert.Equal("Average enrollment by phase", picked[^2].Question);
    }
}
