using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace UsageTracking.Tests.Support;

/// <summary>An HTTP receiver on 127.0.0.1 that keeps the body of every POST to one path (an OTLP collector, a webhook).</summary>
public sealed class PostReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PostReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<byte[]> Bodies { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<PostReceiver> StartAsync(string path)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new PostReceiver(builder.Build());
        receiver._app.MapPost(path, async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receiver.Bodies.Enqueue(body.ToArray());
            return Results.Ok();
        });
        await receiver._app.StartAsync();
        receiver.BaseAddress = new Uri(receiver._app.Urls.First());
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
