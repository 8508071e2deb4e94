using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace UsageTracking.Testing;

/// <summary>
/// A fake OpenAI-compatible chat-completions endpoint on 127.0.0.1 (no model can run here): answers each request
/// with the next scripted reply, or an HTTP error, and keeps every request body for assertions.
/// </summary>
public sealed class FakeChatCompletions : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, string Content, int PromptTokens, int CompletionTokens, int CachedTokens)> _replies = new();

    private FakeChatCompletions(WebApplication app) => _app = app;

    /// <summary>The base URL to configure, ending in <c>/v1</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Each request's JSON body and Authorization header, in order.</summary>
    public ConcurrentQueue<(JsonNode Body, string? Authorization)> Requests { get; } = new();

    /// <summary>The model name the fake reports (a dated snapshot, as real endpoints do).</summary>
    public string ReportedModel { get; set; } = "gpt-4o-mini-2024-07-18";

    public void Reply(string content, int promptTokens = 120, int completionTokens = 30, int cachedTokens = 0) =>
        _replies.Enqueue((200, content, promptTokens, completionTokens, cachedTokens));

    public void Fail(int status) => _replies.Enqueue((status, "", 0, 0, 0));

    public static async Task<FakeChatCompletions> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeChatCompletions(app);
        app.MapPost("/v1/chat/completions", (Func<HttpContext, Task<IResult>>)fake.CompleteAsync);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Urls.First() + "/v1");
        return fake;
    }

    private async Task<IResult> CompleteAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        Requests.Enqueue((body!, context.Request.Headers.Authorization.ToString()));
        if (!_replies.TryDequeue(out var reply))
        {
            return Results.Json(new { error = new { message = "The fake has no scripted reply left.", type = "server_error" } }, statusCode: 500);
        }

        if (reply.Status != 200)
        {
            return Results.Json(new { error = new { message = $"Scripted failure {reply.Status}.", type = "invalid_request_error" } }, statusCode: reply.Status);
        }

        return Results.Json(new JsonObject
        {
            ["id"] = "chatcmpl-fake",
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = ReportedModel,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = reply.PromptTokens,
                ["completion_tokens"] = reply.CompletionTokens,
                ["total_tokens"] = reply.PromptTokens + reply.CompletionTokens,
                ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = reply.CachedTokens },
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
