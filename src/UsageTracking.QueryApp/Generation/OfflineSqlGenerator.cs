using System.Collections.Concurrent;
using UsageTracking.QueryApp.Generation.Interpreting;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Generation;

/// <summary>
/// The default generator: no network, no model. It interprets the question against what it learned of the data source
/// (columns, their values, the glossary) and writes SQL only for a question it understood word for word, saying in plain
/// words what it understood; otherwise it says which words it did not understand and what is close. A saved example
/// answers a question whose interpretation matches it, however it is phrased.
/// </summary>
public sealed class OfflineSqlGenerator(SourceModels? models = null) : ISqlGenerator
{
    private readonly SourceModels _models = models ?? new SourceModels();
    private readonly ConcurrentDictionary<(string Source, string Question), string?> _exampleKeys = new();

    /// <inheritdoc />
    public string Name => "offline";

    /// <inheritdoc />
    public bool UsesModel => false;

    /// <inheritdoc />
    public bool CanFix => false;

    /// <inheritdoc />
    public async Task<GeneratedSql> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Question))
        {
            return new GeneratedSql(GenerationOutcome.CannotAnswer, null, "Type a question first.", Name);
        }

        var normalized = QuestionText.Normalize(request.Question);
        if (request.Examples.LastOrDefault(e => QuestionText.Normalize(e.Question) == normalized) is { } exact)
        {
            return GeneratedSql.Answer(exact.Sql, exact.Label) with { Interpretation = "answered by a saved example of this question" };
        }

        Interpreter interpreter;
        try
        {
            (_, interpreter) = await _models.GetAsync(request.Source, cancellationToken, request.User).ConfigureAwait(false);
        }
        catch (SqlQueryException ex)
        {
            return new GeneratedSql(GenerationOutcome.Failed, null, ex.Message, Name);
        }

        var result = interpreter.Interpret(request.Question);
        if (result.Interpretation is not { } understood)
        {
            return new GeneratedSql(GenerationOutcome.CannotAnswer, null, result.Refusal, Name) { Unknown = result.Unknown };
        }

        var key = understood.Key();
        var similar = request.Examples.LastOrDefault(e => _exampleKeys.GetOrAdd((request.Source.Id, e.Question), _ => interpreter.Interpret(e.Question).Interpretation?.Key()) == key);
        var described = Describe(understood, result.Corrections);
        if (similar is not null)
        {
            return GeneratedSql.Answer(similar.Sql, $"{similar.Label}, for a question read the same way") with { Interpretation = described };
        }

        var (sql, problem) = new SqlRenderer(interpreter.Model).Render(understood);
        return sql is null
            ? new GeneratedSql(GenerationOutcome.CannotAnswer, null, problem, Name)
            : GeneratedSql.Answer(sql, Name) with { Interpretation = described };
    }

    /// <inheritdoc />
    public Task<GeneratedSql> FixAsync(GenerationRequest request, string failedSql, string error, CancellationToken cancellationToken) =>
        Task.FromResult(new GeneratedSql(GenerationOutcome.CannotAnswer, null, "The built-in generator cannot repair queries.", Name));

    private static string Describe(Interpretation interpretation, IReadOnlyList<string> corrections) =>
        corrections.Count == 0 ? interpretation.Describe() : $"{interpretation.Describe()} ({string.Join("; ", corrections)})";
}
