using System.ClientModel;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using OpenAI;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Sql;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Generation;

/// <summary>
/// SQL from a chat model (<see cref="IChatClient"/>, by default any OpenAI-compatible chat-completions endpoint): a
/// schema-aware prompt, the saved examples most like the question as few-shot turns, one repair round for a query that
/// failed, and token counts from <see cref="ChatResponse.Usage"/> for every call.
/// </summary>
public sealed partial class ChatModelSqlGenerator(IChatClient client, LlmOptions options) : ISqlGenerator
{
    // Enough to show the table's idioms; more only costs tokens and dilutes the closest.
    private const int FewShotExamples = 6;
    private readonly LlmOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>The OpenAI-compatible client for <paramref name="options"/>: its endpoint, model, key and timeout.</summary>
    public static IChatClient CreateOpenAiClient(LlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clientOptions = new OpenAIClientOptions { NetworkTimeout = options.Timeout };
        if (options.BaseUrl is { Length: > 0 } baseUrl)
        {
            clientOptions.Endpoint = new Uri(baseUrl);
        }

        // Local servers (Ollama, vLLM) accept any key; the client insists on one.
        var key = options.ApiKey is { Length: > 0 } k ? k : Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } e ? e : "not-needed";
        return new OpenAI.Chat.ChatClient(options.Model, new ApiKeyCredential(key), clientOptions).AsIChatClient();
    }

    /// <inheritdoc />
    public string Name => _options.Model!;

    /// <inheritdoc />
    public bool UsesModel => true;

    /// <inheritdoc />
    public bool CanFix => _options.AutoFix;

    /// <inheritdoc />
    public Task<GeneratedSql> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = Prompt(request);
        messages.Add(new ChatMessage(ChatRole.User, request.Question));
        return AskAsync(messages, cancellationToken);
    }

    /// <inheritdoc />
    public Task<GeneratedSql> FixAsync(GenerationRequest request, string failedSql, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = Prompt(request);
        messages.Add(new ChatMessage(ChatRole.User, request.Question));
        messages.Add(new ChatMessage(ChatRole.Assistant, failedSql));
        messages.Add(new ChatMessage(ChatRole.User, $"That query failed with: {error}\nReturn a corrected query."));
        return AskAsync(messages, cancellationToken);
    }

    /// <summary>A short plain-language summary of a result; only called when <see cref="LlmOptions.AllowLlmToSeeData"/> is on.</summary>
    public async Task<(string? Text, TokenUse? Tokens, string? Error)> SummarizeAsync(string question, QueryResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var table = new StringBuilder();
        table.AppendLine(string.Join(" | ", result.Columns.Select(c => c.Name)));
        foreach (var row in result.Rows.Take(50))
        {
            table.AppendLine(string.Join(" | ", row.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
        }

        List<ChatMessage> messages =
        [
            new(ChatRole.System, "Summarise the query result for a business reader in at most four sentences. Mention notable highs, lows and totals. No markdown."),
            new(ChatRole.User, $"Question: {question}\nRows: {result.Rows.Count}{(result.Truncated ? " (cut at the row limit)" : "")}\nFirst rows:\n{table}"),
        ];
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var response = await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0.2f }, cancellationToken).ConfigureAwait(false);
            return (response.Text is { Length: > 0 } text ? text.Trim() : null, Tokens(response, started), null);
        }
        catch (Exception ex) when (ex is ClientResultException or HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return (null, null, Describe(ex));
        }
    }

    private List<ChatMessage> Prompt(GenerationRequest request)
    {
        var dialect = request.Source.Dialect switch
        {
            SqlDialect.Postgres => "PostgreSQL",
            SqlDialect.Databricks => "Databricks SQL (Spark SQL)",
            _ => "SQLite",
        };
        List<ChatMessage> messages =
        [
            new(ChatRole.System,
                $"""
                You write one {dialect} SELECT query that answers the user's question about this table:
                {request.Schema.ToDdl()}
                Rules: return only the SQL, no explanation and no comments; a single SELECT or WITH statement; never modify data;
                use only the columns above; name computed columns with short snake_case aliases; add LIMIT 100 to row listings.
                """),
        ];
        foreach (var example in ExampleRetrieval.MostSimilar(request.Question, request.Examples, FewShotExamples))
        {
            messages.Add(new ChatMessage(ChatRole.User, example.Question));
            messages.Add(new ChatMessage(ChatRole.Assistant, example.Sql));
        }

        return messages;
    }

    private async Task<GeneratedSql> AskAsync(List<ChatMessage> messages, CancellationToken cancellationToken)
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var response = await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0 }, cancellationToken).ConfigureAwait(false);
            var tokens = Tokens(response, started);
            var sql = ExtractSql(response.Text);
            return sql is null
                ? new GeneratedSql(GenerationOutcome.Failed, null, "The language model answered without a SQL query.", Name, tokens)
                : GeneratedSql.Answer(sql, Name, tokens);
        }
        catch (Exception ex) when (ex is ClientResultException or HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return new GeneratedSql(GenerationOutcome.Failed, null, Describe(ex), Name);
        }
    }

    private TokenUse? Tokens(ChatResponse response, long started) => response.Usage is { } usage
        ? new TokenUse(response.ModelId ?? Name, usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0, usage.CachedInputTokenCount ?? 0)
        {
            DurationMs = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
        }
        : null;

    // The message names the status, never the key or the request.
    private static string Describe(Exception ex) => ex switch
    {
        ClientResultException { Status: 401 or 403 } => "The language model refused the API key (QueryApp:Llm:ApiKey).",
        ClientResultException { Status: 404 } => "The language model endpoint does not know that model (QueryApp:Llm:Model).",
        ClientResultException { Status: 429 } => "The language model is rate-limiting requests; try again in a minute.",
        ClientResultException result => $"The language model endpoint failed with HTTP {result.Status}.",
        TaskCanceledException => "The language model did not answer in time.",
        _ => "The language model endpoint could not be reached.",
    };

    internal static string? ExtractSql(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var fenced = Fence().Match(text);
        var sql = (fenced.Success ? fenced.Groups[1].Value : text).Trim();
        var start = StatementStart().Match(sql);
        return start.Success ? sql[start.Index..].Trim() : null;
    }

    [GeneratedRegex(@"```(?:sql)?\s*\n?(.*?)```", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Fence();

    [GeneratedRegex(@"\b(SELECT|WITH)\b", RegexOptions.IgnoreCase)]
    private static partial Regex StatementStart();
}
