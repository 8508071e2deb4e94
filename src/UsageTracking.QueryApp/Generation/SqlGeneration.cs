using UsageTracking.QueryApp.Data;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Generation;

/// <summary>A question and the SQL that answered it well, saved by a thumbs-up.</summary>
public sealed record SavedExample(string Source, string Question, string Sql, DateTimeOffset SavedAt);

/// <summary>What a generator gets: the question, where it will run, and the examples saved for that source.</summary>
public sealed record GenerationRequest(string Question, IDataSource Source, TableSchema Schema, IReadOnlyList<SavedExample> Examples);

/// <summary>Tokens one model call used.</summary>
public sealed record TokenUse(string Model, long InputTokens, long OutputTokens, long CachedInputTokens);

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

/// <summary>The generator's answer.</summary>
public sealed record GeneratedSql(GenerationOutcome Outcome, string? Sql, string? Message, string Generator, TokenUse? Tokens = null)
{
    internal static GeneratedSql Answer(string sql, string generator, TokenUse? tokens = null) => new(GenerationOutcome.Answered, sql, null, generator, tokens);
}

/// <summary>Turns questions into SQL for a data source.</summary>
public interface ISqlGenerator
{
    /// <summary>Name recorded with each generation (<c>offline</c>, or the model).</summary>
    string Name { get; }

    /// <summary>Whether <see cref="FixAsync"/> can repair a query that failed to run.</summary>
    bool CanFix { get; }

    /// <summary>Generates SQL for the question. Never throws for an endpoint failure: returns <see cref="GenerationOutcome.Failed"/>.</summary>
    Task<GeneratedSql> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken);

    /// <summary>Given SQL that failed with <paramref name="error"/>, proposes a corrected query.</summary>
    Task<GeneratedSql> FixAsync(GenerationRequest request, string failedSql, string error, CancellationToken cancellationToken);
}
