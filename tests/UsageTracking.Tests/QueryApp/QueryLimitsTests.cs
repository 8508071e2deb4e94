using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UsageTracking.QueryApp.Services;

namespace UsageTracking.Tests.QueryApp;

/// <summary>What one user's query may take from the app, and from everyone else: values, rows, bytes, memory, slots.</summary>
public sealed class QueryLimitsTests
{
    // Never ends by itself: only the timeout stops it.
    private const string Endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Run(HttpClient client, string sql)
    {
        var response = await client.PostAsJsonAsync("/api/run", new { source = "demo", sql });
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, response);
    }

    [Fact]
    public async Task AValueLargerThanACell_FailsTheQueryWithOneSentence_BeforeItIsMade()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100, ("QueryApp:CellByteLimit", "65536"));
        using var client = host.Client();
        var (status, body, _) = await Run(client, "SELECT randomblob(1000000000) AS huge");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("A value in the result is larger than the 64 KiB one cell may hold; select less of it (for example with substr).", body.GetProperty("error").GetString());

        var (fine, small, _) = await Run(client, "SELECT length(randomblob(60000)) AS n");
        Assert.Equal(HttpStatusCode.OK, fine);
        Assert.Equal(60000, small.GetProperty("rows")[0][0].GetInt32());
    }

    [Fact]
    public async Task RowsPastTheByteLimit_AreCut_AndTheReplySaysBytesCutThem()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 3_000, ("QueryApp:ResultByteLimit", "65536"));
        using var client = host.Client();
        var (status, run, _) = await Run(client, "SELECT nct_id, title, hex(randomblob(200)) AS padding FROM clinical_trials");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(run.GetProperty("truncated").GetBoolean());
        Assert.Equal("bytes", run.GetProperty("truncatedBy").GetString());
        Assert.Equal(65536, run.GetProperty("byteLimit").GetInt64());
        var shown = run.GetProperty("rows").GetArrayLength();
        Assert.InRange(shown, 1, 3_000 - 1);
        var text = run.GetProperty("rows").EnumerateArray().Sum(r => r.EnumerateArray().Sum(v => v.ValueKind == JsonValueKind.String ? v.GetString()!.Length : 8));
        Assert.True(text <= 65536, $"{shown} rows hold {text} characters, more than the limit");

        var executed = JsonDocument.Parse((await host.EventsAsync()).Single(e => e.Action == Actions.ExecuteSql).Properties!).RootElement;
        Assert.Equal("bytes", executed.GetProperty("truncated_by").GetString());
    }

    [Fact]
    public async Task ADownloadPastTheByteLimit_IsCut_AndItsNameAndHeaderSaySo()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 3_000, ("QueryApp:DownloadByteLimit", "65536"));
        using var client = host.Client();
        var (_, run, _) = await Run(client, "SELECT nct_id, title FROM clinical_trials");
        var download = await client.GetAsync($"/api/download?runId={run.GetProperty("runId").GetString()}&format=csv");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var csv = await download.Content.ReadAsByteArrayAsync();
        Assert.InRange(csv.Length, 1, 65536);
        var lines = System.Text.Encoding.UTF8.GetString(csv).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var cut = Assert.Single(download.Headers.GetValues("X-Download-Cut"));
        Assert.Equal($"bytes; rows={lines.Length - 1}", cut);
        Assert.Contains($"first {lines.Length - 1:N0} rows", download.Content.Headers.ContentDisposition!.FileName, StringComparison.Ordinal);

        var downloaded = JsonDocument.Parse((await host.EventsWithAsync(Actions.DownloadResults)).Single(e => e.Action == Actions.DownloadResults).Properties!).RootElement;
        Assert.Equal("bytes", downloaded.GetProperty("cut_by").GetString());
        Assert.Equal(lines.Length - 1, downloaded.GetProperty("rows").GetInt32());
    }

    [Fact]
    public async Task BusySlots_AnswerWithOneSentence_WhileHealthAndOtherPagesStillAnswer()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100,
            ("QueryApp:TrustForwardedHeaders", "true"), ("QueryApp:MaxConcurrentQueries", "2"), ("QueryApp:MaxQueriesPerUser", "1"),
            ("QueryApp:QueryQueueWait", "00:00:00.200"), ("QueryApp:QueryTimeout", "00:00:04"));
        HttpClient As(string email)
        {
            var client = host.Client();
            client.DefaultRequestHeaders.Add("X-Forwarded-Email", email);
            return client;
        }

        using var ana = As("ana@example.org");
        using var ben = As("ben@example.org");
        using var cleo = As("cleo@example.org");
        var slots = host.Services.GetRequiredService<QuerySlots>();
        var first = Run(ana, Endless);
        var second = Run(ben, Endless);
        while (slots.Running < 2)
        {
            Assert.False(first.IsCompleted || second.IsCompleted, "a slow query ended before the slots filled");
            await Task.Delay(20);
        }

        var (again, mine, _) = await Run(ana, "SELECT 1 AS one");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again);
        Assert.Equal("You already have a query running; wait for it to finish, then run this one.", mine.GetProperty("error").GetString());

        var (busy, full, response) = await Run(cleo, "SELECT 1 AS one");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy);
        Assert.Equal("The app is busy running other people's queries (2 at once); try again in a few seconds.", full.GetProperty("error").GetString());
        Assert.NotNull(response.Headers.RetryAfter);

        Assert.Equal(2, slots.Running);
        Assert.Equal(HttpStatusCode.OK, (await cleo.GetAsync("/api/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cleo.GetAsync("/api/questions?source=demo")).StatusCode);

        foreach (var slow in await Task.WhenAll(first, second))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, slow.Status);
            Assert.Equal("The query ran longer than 4 s and was stopped.", slow.Body.GetProperty("error").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await Run(cleo, "SELECT 1 AS one")).Status);
        var refused = (await host.EventsAsync()).Where(e => e.Action == Actions.DatabaseError && e.Properties!.Contains("\"busy\":true", StringComparison.Ordinal)).ToList();
        Assert.Equal(["ana@example.org", "cleo@example.org"], refused.Select(e => e.User).Order());
    }

    /// <summary>
    /// The app in a process of its own (the cap is process-wide) with SQLite query memory capped at 32 MiB: a query that needs
    /// about a gigabyte fails with one sentence, the process never grows near that, and the next query runs.
    /// </summary>
    [Fact]
    public async Task AQueryNeedingMoreMemoryThanTheCap_FailsWithOneSentence_AndTheAppCarriesOn()
    {
        using var folder = new Support.TempFolder();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "UsageTracking.QueryApp.dll"));
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        info.ArgumentList.Add($"--urls={address}");
        info.Environment["UsageTracking__DataDirectory"] = folder.Path;
        info.Environment["QueryApp__DemoStudies"] = "100";
        info.Environment["QueryApp__SqliteMemoryLimit"] = (32 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var app = Process.Start(info)!;
        var output = app.StandardOutput.ReadToEndAsync();
        var errors = app.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            var started = Stopwatch.StartNew();
            while (!await Answers(client))
            {
                if (app.HasExited)
                {
                    Assert.Fail($"the app exited: {await output} {await errors}");
                }


                Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), "the app did not start within a minute");
                await Task.Delay(100);
            }

            // Two million distinct 500-byte blobs: about a gigabyte of temporary index, in memory (temp_store = MEMORY).
            var (status, body, _) = await Run(client,
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000) SELECT count(*) AS n FROM (SELECT DISTINCT randomblob(500) FROM c)");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Equal("The query needs more memory than the app allows for queries; narrow it (a WHERE, fewer rows to sort or group) and run it again.",
                body.GetProperty("error").GetString());

            var peak = PeakWorkingSetBytes(app.Id);
            Assert.True(peak < 512L << 20, $"the app peaked at {peak >> 20} MiB");
            Assert.Equal(HttpStatusCode.OK, (await Run(client, "SELECT count(*) AS n FROM clinical_trials")).Status);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
    }

    private static async Task<bool> Answers(HttpClient client)
    {
        try
        {
            return (await client.GetAsync("/api/health")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // VmHWM: the most resident memory the process has had.
    private static long PeakWorkingSetBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))[6..].Trim().Split(' ')[0],
            System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
