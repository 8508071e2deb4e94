using UsageTracking.QueryApp.Services;

namespace UsageTracking.QueryApp.Components.Query;

/// <summary>A question and the SQL generated for it.</summary>
public sealed record GeneratedQuery(string Question, GenerateReply Reply);

/// <summary>A run of the editor's SQL, with the question it answers (null once the user wrote their own).</summary>
public sealed record CompletedRun(RunReply Reply, string? Question);
