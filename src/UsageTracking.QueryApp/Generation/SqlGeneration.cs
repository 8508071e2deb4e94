using System.Text.Json.Serialization;
using UsageTracking.QueryApp.Data;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Generation;

/// <summary>
/// A question and the SQL that answered it well, saved by a thumbs-up. It answers only the user who saved it until an
/// admin shares it (<see cref="SharedBy"/>), so one session cannot teach everyone else a wrong answer.
/// </summary>
/// <param name="Source">The data source it runs on.</param>
/// <param name="Question">The question as asked.</param>
/// <param name="Sql">The SQL that answered it.</param>
/// <param name="SavedAt">When it was saved.</param>
/// <param name="SavedBy">The user who saved it (null in files written before examples had owners: those answer nobody until shared).</param>
/// <param name="SharedBy">The admin who shared it with everyone; null while it is the saver's own.</param>
public sealed record SavedExample(string Source, string Question, string Sql, DateTimeOffset SavedAt, string? SavedBy = null, string? SharedBy = null)
{
    /// <summary>Whether it answers everyone.</summary>
    [JsonIgnore]
    public bool Shared => SharedBy is not null;

    /// <summary>How the generator's answer is labelled: whose example it is.</summary>
    [JsonIgnore]
    public string Label => Shared ? $"shared example (saved by {SavedBy ?? "an earlier version"})" : "your saved example";
}

/// <summary>
/// What a generator gets: the question, where it will run, the examples the asking user may use (shared first, then their
/// own) and who asks (their own taught glossary terms read their questions).
/// </summary>
public sealed record GenerationRequest(string Question, IDataSource Source, TableSchema Schema, IReadOnlyList<SavedExample> Examples, string? User = null);

/// <summary>Tokens one model call used.</summary>
public sealed record TokenUse(string Model, long InputTokens, long OutputTokens, long CachedInputTokens)
{
    /// <summary>How long the model call took, in ms.</summary>
    public double? DurationMs { get; init; }
}

/// <summary>How generation ended.</summary>
public enum GenerationOutcome
{
    /// <summary>SQL was produced.</summary>
    Answered,

    /// <summary>The generator does not know how to answer; <see cref="GeneratedSql.Message"/> says so plainly.</summary>
    CannotAnswer,

    /// <summary>The model endpoint failed; <see cref="GeneratedSql.Message"/> is one sentence for the user.</summary>
    Failed,
}

/// <summary>The generator's answer; <see cref="Interpretation"/> says in plain words what question the SQL answers.</summary>
public sealed record GeneratedSql(GenerationOutcome Outcome, string? Sql, string? Message, string Generator, TokenUse? Tokens = null)
{
    /// <summary>The question as the generator understood it ("count of studies · where status is Recruiting · by phase").</summary>
    public string? Interpretation { get; init; }

    /// <summary>For a refusal: the words not understood, which the user may teach as glossary terms.</summary>
    public IReadOnlyList<string> Unknown { get; init; } = [];

    internal static GeneratedSql Answer(string sql, string generator, TokenUse? tokens = null) => new(GenerationOutcome.Answered, sql, null, generator, tokens);
}

/// <summary>Turns questions into SQL for a data source.</summary>
public interface ISqlGenerator
{
    /// <summary>Name recorded with each generation (<c>offline</c>, or the model).</summary>
    string Name { get; }

    /// <summary>Whether a language model writes the SQL (its failures are <c>llm_error</c> events).</summary>
    bool UsesModel { get; }

    /// <summary>Whether <see cref="FixAsync"/> can repair a query that failed to run.</summary>
    bool CanFix { get; }

    /// <summary>Generates SQL for the question. Never throws for an endpoint failure: returns <see cref="GenerationOutcome.Failed"/>.</summary>
    Task<GeneratedSql> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken);

    /// <summary>Given SQL that failed with <paramref name="error"/>, proposes a corrected query.</summary>
    Task<GeneratedSql> FixAsync(GenerationRequest request, string failedSql, string error, CancellationToken cancellationToken);
}
