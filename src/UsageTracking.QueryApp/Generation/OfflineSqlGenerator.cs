namespace UsageTracking.QueryApp.Generation;

/// <summary>
/// The default generator: no network, no model. Answers from saved examples first (a thumbs-up teaches it), then
/// from rules for the demo data and the usage table, and says plainly when it cannot.
/// </summary>
public sealed class OfflineSqlGenerator : ISqlGenerator
{
    /// <inheritdoc />
    public string Name => "offline";

    /// <inheritdoc />
    public bool CanFix => false;

    /// <inheritdoc />
    public Task<GeneratedSql> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var normalized = QuestionText.Normalize(request.Question);
        if (normalized.Length == 0)
        {
            return Task.FromResult(new GeneratedSql(GenerationOutcome.CannotAnswer, null, "Type a question first.", Name));
        }

        var example = request.Examples.LastOrDefault(e => QuestionText.Normalize(e.Question) == normalized);
        if (example is not null)
        {
            return Task.FromResult(GeneratedSql.Answer(example.Sql, example.Label));
        }

        var sql = request.Source.Domain switch
        {
            "clinical_trials" => ClinicalTrialsRules.Generate(request.Question),
            "usage" => UsageRules.Generate(request.Question, request.Schema.Name, request.Source.Dialect,
                request.Schema.Columns.Any(c => string.Equals(c.Name, "is_error", StringComparison.OrdinalIgnoreCase))),
            _ => null,
        };

        return Task.FromResult(sql is null
            ? new GeneratedSql(GenerationOutcome.CannotAnswer, null,
                $"The built-in generator cannot answer that about {request.Source.Title}; try a suggested question, write the SQL yourself, or configure a language model (QueryApp:Llm).",
                Name)
            : GeneratedSql.Answer(sql, Name));
    }

    /// <inheritdoc />
    public Task<GeneratedSql> FixAsync(GenerationRequest request, string failedSql, string error, CancellationToken cancellationToken) =>
        Task.FromResult(new GeneratedSql(GenerationOutcome.CannotAnswer, null, "The built-in generator cannot repair queries.", Name));
}
