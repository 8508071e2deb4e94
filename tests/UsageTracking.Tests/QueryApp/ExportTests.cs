using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.Extensions.DependencyInjection;
using UsageTracking.Sqlite;

namespace UsageTracking.Tests.QueryApp;

/// <summary>/api/export through Kestrel (not a test server's synchronous pipe): complete in every format, or visibly broken.</summary>
public sealed class ExportTests
{
    private const int Events = 50_000;

    private static async Task SeedAsync(QueryAppHost host, int count)
    {
        await using var store = new SqliteUsageStore(host.UsageDatabase);
        await store.EnsureSchemaAsync(true, default);
        var now = DateTimeOffset.UtcNow;
        foreach (var chunk in Enumerable.Range(0, count).Chunk(5_000))
        {
            await store.WriteBatchAsync(chunk.Select(i => new UsageEvent
            {
                EventId = Guid.CreateVersion7().ToString(),
                Timestamp = now.AddMilliseconds(-i),
                AppName = "exported",
                User = $"user{i % 97}@example.com",
                Action = i % 50 == 0 ? Actions.SqlError : Actions.ExecuteSql,
                Detail = i % 50 == 0 ? "near \"FROM\": syntax error, with a comma, and \"quotes\"" : null,
                IsError = i % 50 == 0,
                PropertiesJson = $$"""{"sql":"SELECT {{i}}","rows":{{i % 13}}}""",
            }).ToList(), default);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task FiftyThousandEvents_ArriveComplete_AsCsvJsonAndExcel()
    {
        await using var host = await QueryAppHost.StartAsync(100);
        await SeedAsync(host, Events);
        using var client = host.Client();

        var csv = await client.GetStringAsync("/api/export?days=1&format=csv&app=exported");
        using (var reader = CsvHelper.CsvReader.Create(new StringReader(csv), new CsvHelper.CsvReaderOptions(), false))
        {
            var records = 0;
            while (reader.Read())
            {
                records++;
            }

            // One record per event after the header (quoted details with commas and quotes included).
            Assert.Equal(Events, records);
        }

        Assert.StartsWith(string.Join(",", UsageColumns.Names), csv, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await client.GetStreamAsync("/api/export?days=1&format=json&app=exported"));
        Assert.Equal(Events, json.RootElement.GetArrayLength());
        Assert.Equal(Events / 50, json.RootElement.EnumerateArray().Count(e => e.GetProperty("is_error").GetBoolean()));

        var xlsx = await client.GetByteArrayAsync("/api/export?days=1&format=xlsx&app=exported");
        using var document = SpreadsheetDocument.Open(new MemoryStream(xlsx), false);
        Assert.Equal(Events + 1, document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<Row>().Count());
    }

    [Fact(Timeout = 60_000)]
    public async Task ReadFailingHalfWay_AbortsTheResponse_InsteadOfEndingAShortFileWith200()
    {
        await using var host = await QueryAppHost.StartWithServicesAsync(services =>
            services.AddSingleton<IUsageReader>(sp => new FailingReader(new SqliteUsageStore(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SqliteStoreOptions>>().Value), failAfter: 20_000)));
        await SeedAsync(host, 30_000);
        using var client = host.Client();

        foreach (var format in new[] { "csv", "json" })
        {
            using var response = await client.GetAsync($"/api/export?days=1&format={format}&app=exported", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The rows that had gone out arrive, then the connection breaks: reading to the end must fail.
            var broken = await Assert.ThrowsAsync<HttpRequestException>(async () => await response.Content.ReadAsStringAsync());
            Assert.IsAssignableFrom<IOException>(broken.InnerException);
        }

        // Excel is written to a temporary file first: a failure there is an error status with one sentence, no file at all.
        using var xlsx = await client.GetAsync("/api/export?days=1&format=xlsx&app=exported");
        Assert.Equal(HttpStatusCode.InternalServerError, xlsx.StatusCode);
        Assert.Equal("application/json", xlsx.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>A real reader that breaks after some rows, as a database connection dropping mid-read would.</summary>
    private sealed class FailingReader(IUsageReader inner, int failAfter) : IUsageReader
    {
        public async IAsyncEnumerable<UsageEvent> ReadEventsAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var n = 0;
            await foreach (var e in inner.ReadEventsAsync(query, cancellationToken))
            {
                if (++n > failAfter)
                {
                    throw new IOException("the connection to the database was lost");
                }

                yield return e;
            }
        }

        public Task<IReadOnlyList<UsageEvent>> GetLatestAsync(string? appName, int count, CancellationToken cancellationToken) => inner.GetLatestAsync(appName, count, cancellationToken);

        public Task<TableExtent> GetExtentAsync(string? appName, CancellationToken cancellationToken) => inner.GetExtentAsync(appName, cancellationToken);
    }
}
