using System.Globalization;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.Tests.QueryApp;

public sealed class OfflineGeneratorTests(DemoDataFixture demo) : IClassFixture<DemoDataFixture>
{
    private readonly OfflineSqlGenerator _generator = new();

    private async Task<string> SqlFor(string question, IReadOnlyList<SavedExample>? examples = null)
    {
        var source = demo.Source;
        var answer = await _generator.GenerateAsync(new GenerationRequest(question, source, await source.GetSchemaAsync(default), examples ?? []), default);
        Assert.True(answer.Outcome == GenerationOutcome.Answered, $"'{question}': {answer.Message}");
        return answer.Sql!;
    }

    private async Task<List<object?[]>> Answer(string question) => (await QueryRun.AllAsync(demo.Source, await SqlFor(question))).Rows;

    [Fact]
    public async Task EverySuggestedDemoQuestion_IsAnsweredWithSqlThatRuns()
    {
        var questions = new QuestionBank().All("clinical_trials");
        Assert.True(questions.Count >= 12, "the issue asks for at least a dozen demo questions");
        foreach (var question in questions)
        {
            var (names, _) = await QueryRun.AllAsync(demo.Source, await SqlFor(question));
            Assert.NotEmpty(names);
        }
    }

    [Fact]
    public async Task StudiesByPhase_MatchesACountOverTheGeneratedStudies()
    {
        var rows = await Answer("How many studies are there by phase?");
        var expected = demo.Expected.GroupBy(s => s.Phase).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expected, rows.ToDictionary(r => (string)r[0]!, r => (long)r[1]!));
    }

    [Fact]
    public async Task RecruitingCount_MatchesTheGeneratedStudies()
    {
        var rows = await Answer("How many studies are recruiting?");
        Assert.Equal(demo.Expected.Count(s => s.Status == "Recruiting"), Convert.ToInt32(rows.Single()[0], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AverageEnrollmentByPhase_MatchesTheGeneratedStudies()
    {
        var rows = await Answer("What is the average enrollment by phase?");
        foreach (var group in demo.Expected.GroupBy(s => s.Phase))
        {
            var row = rows.Single(r => (string)r[0]! == group.Key);
            Assert.Equal(Math.Round(group.Average(s => s.Enrollment), 1), (double)row[1]!, 6);
        }
    }

    [Fact]
    public async Task SponsorSinceYear_FiltersBothWays()
    {
        var rows = await Answer("How many Pfizer studies started since 2020?");
        Assert.Equal(demo.Expected.Count(s => s.Sponsor == "Pfizer" && s.StartDate.Year >= 2020), Convert.ToInt32(rows.Single()[0], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task TopConditions_AreOrderedAndLimited()
    {
        var rows = await Answer("Show the top 5 conditions by number of studies");
        var expected = demo.Expected.GroupBy(s => s.Condition).Select(g => (long)g.Count()).OrderByDescending(c => c).Take(5);
        Assert.Equal(expected, rows.Select(r => (long)r[1]!));
    }

    [Fact]
    public async Task ListingWithFilters_ReturnsOnlyMatchingStudies()
    {
        var rows = await Answer("List recruiting Phase 3 studies in Breast Cancer");
        var expected = demo.Expected.Where(s => s.Status == "Recruiting" && s.Phase == "Phase 3" && s.Condition == "Breast Cancer").Select(s => s.NctId).Take(100).ToHashSet();
        Assert.Equal(Math.Min(100, expected.Count), rows.Count);
        Assert.All(rows, r => Assert.Contains((string)r[0]!, demo.Expected.Where(s => s.Status == "Recruiting" && s.Phase == "Phase 3" && s.Condition == "Breast Cancer").Select(s => s.NctId)));
    }

    [Fact]
    public async Task UnknownQuestion_IsDeclinedPlainly()
    {
        var source = demo.Source;
        var answer = await _generator.GenerateAsync(new GenerationRequest("What is the meaning of life?", source, await source.GetSchemaAsync(default), []), default);
        Assert.Equal(GenerationOutcome.CannotAnswer, answer.Outcome);
        Assert.Null(answer.Sql);
        Assert.Equal("I did not understand “meaning” or “life”: they are not columns, values or terms of clinical_trials, whose columns are nct_id, title, phase, status, condition, sponsor, country, start_date, completion_date, enrollment.", answer.Message);
    }

    [Fact]
    public async Task SavedExample_AnswersItsQuestionFirst()
    {
        var example = new SavedExample("demo", "Studies in France, please!", "SELECT COUNT(*) AS n FROM clinical_trials WHERE country = 'France'", DateTimeOffset.UnixEpoch);
        Assert.Equal(example.Sql, await SqlFor("studies in france please", [example]));
    }

    [Fact]
    public void DemoData_IsTheSameOnEveryRun() =>
        Assert.Equal(DemoData.Generate(50).Select(s => s.ToString()), DemoData.Generate(50).Select(s => s.ToString()));
}
