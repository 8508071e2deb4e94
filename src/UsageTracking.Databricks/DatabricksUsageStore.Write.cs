using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace UsageTracking.Databricks;

public sealed partial class DatabricksUsageStore
{
    private const string BatchType =
        "ARRAY<STRUCT<event_id: STRING, ts: STRING, app_name: STRING, user: STRING, action: STRING, session_id: STRING, detail: STRING, " +
        "duration_ms: DOUBLE, model: STRING, input_tokens: BIGINT, output_tokens: BIGINT, cost_usd: DECIMAL(18,6), properties: STRING, is_error: BOOLEAN>>";

    // The batch parameter as rows. FAILFAST: a field that does not fit its type fails the statement (SQLSTATE 22023) instead
    // of nulling the whole array, which would leave inline() no rows and a MERGE that "succeeds" having written nothing.
    private const string Source = $"SELECT * FROM (SELECT inline(from_json(:batch, '{BatchType}', map('mode', 'FAILFAST'))))";

    /// <summary>
    /// The most JSON one MERGE carries: the API has no documented cap on a parameter, but large requests fail in practice
    /// (databricks-sql-python #592), and a few MiB per commit is plenty.
    /// </summary>
    internal const int MaxStatementBytes = 4 << 20;

    // UTF-8 as it is (see StatementClient.Json): the batch is JSON inside a JSON request, never HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public async Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var mode = _mode ?? await EnsureSchemaAsync(allowUpgrade: true, cancellationToken).ConfigureAwait(false);
        if (mode == StoreSchemaMode.Compat)
        {
            // One statement, whatever its size: a plain INSERT split in two could leave half committed and the retry
            // would add that half again.
            var parameter = new StatementParameter("batch", Chunks(batch, mode, int.MaxValue).Single().Json);
            try
            {
                var inserted = await RunAsync("insert_batch", $"""
                    INSERT INTO {_table} (timestamp, app_name, user, action)
                    SELECT to_timestamp(ts), app_name, user, action FROM ({Source})
                    """, [parameter], cancellationToken).ConfigureAwait(false);
                var count = Inserted(inserted, batch.Count);
                if (count < batch.Count)
                {
                    // Rows are missing and there is no key to look them up by: keep the batch, never count it as written.
                    throw new DatabricksException("SHORTFALL", $"The warehouse inserted {count} of {batch.Count} events into {TableName}; the batch is kept, not counted as written.",
                        null, transient: false) { IsUncertain = true };
                }

                return (int)count;
            }
            catch (StatementCancelledException cancelled) when (cancelled.FinalState == "SUCCEEDED")
            {
                // The budget ran out as the INSERT finished: it is written, and sending it again would add it twice.
                return batch.Count;
            }
            catch (StatementCancelledException cancelled) when (!cancelled.HadNoEffect)
            {
                throw Unsettled(cancelled);
            }
            catch (Exception ex) when (ex is HttpRequestException sent && !ProvablyNotSent(sent) || ex is DatabricksException { HttpStatus: 502 or 504 }
                || ex is TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A plain INSERT has no key to deduplicate on: if it may have committed, it must not be repeated now.
                throw new DatabricksException("UNCERTAIN", $"The connection to {_client.Where} dropped during an INSERT into {TableName}; it may have committed.",
                    null, transient: false) { IsUncertain = true };
            }

        }

        // The columns of UsageColumns the table has (a table the store may not alter can lack is_error).
        var columns = await DescribeAsync(cancellationToken).ConfigureAwait(false) ?? [];
        var names = UsageColumns.All.Select(c => c.Name).Where(n => columns.Count == 0 || columns.Contains(n)).ToList();
        long added = 0;
        foreach (var (events, json) in Chunks(batch, mode, MaxStatementBytes))
        {
            // Each chunk is its own MERGE: keyed by event id, so if a later one fails, repeating the batch adds nothing twice.
            added += await MergeAsync(events, new StatementParameter("batch", json), names, cancellationToken).ConfigureAwait(false);
        }

        return (int)added;
    }

    /// <summary>The batch as JSON arrays of at most <paramref name="maxBytes"/> each (one event at least), each with its events.</summary>
    private static IEnumerable<(List<UsageEvent> Events, string Json)> Chunks(IReadOnlyList<UsageEvent> batch, StoreSchemaMode mode, int maxBytes)
    {
        var chunk = new ArrayBufferWriter<byte>(64 * 1024);
        var row = new ArrayBufferWriter<byte>(1024);
        var events = new List<UsageEvent>();
        chunk.Write("["u8);
        using var writer = new Utf8JsonWriter(row, WriterOptions);
        foreach (var e in batch)
        {
            row.ResetWrittenCount();
            writer.Reset(row);
            WriteRow(writer, e, mode);
            writer.Flush();
            if (events.Count > 0 && chunk.WrittenCount + row.WrittenCount + 2 > maxBytes)
            {
                chunk.Write("]"u8);
                yield return (events, Encoding.UTF8.GetString(chunk.WrittenSpan));
                (events, chunk) = ([], new ArrayBufferWriter<byte>(64 * 1024));
                chunk.Write("["u8);
            }

            if (events.Count > 0)
            {
                chunk.Write(","u8);
            }

            chunk.Write(row.WrittenSpan);
            events.Add(e);
        }

        if (events.Count > 0)
        {
            chunk.Write("]"u8);
            yield return (events, Encoding.UTF8.GetString(chunk.WrittenSpan));
        }
    }

    // One event as the batch's from_json schema reads it; absent values are left out.
    private static void WriteRow(Utf8JsonWriter writer, UsageEvent e, StoreSchemaMode mode)
    {
        void Text(string name, string? value)
        {
            if (value is not null)
            {
                writer.WriteString(name, value);
            }
        }

        writer.WriteStartObject();
        Text("event_id", e.EventId);
        Text("ts", Iso(e.Timestamp));
        Text("app_name", e.AppName);
        Text("user", e.User);
        Text("action", mode == StoreSchemaMode.Compat ? e.CompatAction : e.Action);
        Text("session_id", e.SessionId);
        Text("detail", e.Detail);
        if (e.DurationMs is { } duration)
        {
            writer.WriteNumber("duration_ms", duration);
        }

        Text("model", e.Model);
        if (e.InputTokens is { } input)
        {
            writer.WriteNumber("input_tokens", input);
        }

        if (e.OutputTokens is { } output)
        {
            writer.WriteNumber("output_tokens", output);
        }

        if (e.CostUsd is { } cost)
        {
            writer.WriteNumber("cost_usd", cost);
        }

        Text("properties", e.PropertiesJson);
        writer.WriteBoolean("is_error", e.IsError);
        writer.WriteEndObject();
    }

    private async Task<long> MergeAsync(List<UsageEvent> batch, StatementParameter parameter, List<string> names, CancellationToken cancellationToken)
    {
        var values = names.Select(n => n == "timestamp" ? "to_timestamp(s.ts)" : $"s.{n}");
        // A copy of an event has the event's own timestamp: bounding the target by the batch's earliest one keeps the MERGE
        // from reading the whole table (its cost, and DELTA_CONCURRENT_APPEND with other writers, grow with the table).
        var since = new StatementParameter("since", Iso(Earliest(batch)));
        StatementResult merged;
        try
        {
            merged = await RunAsync("merge_batch", $"""
            MERGE INTO {_table} AS t
            USING (SELECT * FROM ({Source}) QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1) AS s
            ON t.event_id = s.event_id AND t.timestamp >= to_timestamp(:since)
            WHEN NOT MATCHED THEN INSERT ({string.Join(", ", names)})
            VALUES ({string.Join(", ", values)})
            """, [parameter, since], cancellationToken).ConfigureAwait(false);
        }
        catch (StatementCancelledException cancelled) when (cancelled.FinalState is null)
        {
            // It may still be running: sending the batch again now would race it. The spool keeps it for later, when the
            // MERGE's event ids make the replay safe.
            throw Unsettled(cancelled);
        }

        var expected = batch.Where(e => e.EventId is not null).Select(e => e.EventId).Distinct(StringComparer.Ordinal).Count() + batch.Count(e => e.EventId is null);
        var added = Inserted(merged, expected);
        if (added < expected && await PresentAsync(batch, parameter, cancellationToken).ConfigureAwait(false) is var present && present < expected)
        {
            // Fewer new rows than events, and not because the table held them already (a replay): the statement lost rows.
            throw new DatabricksException("SHORTFALL",
                $"The MERGE into {TableName} succeeded, but {expected - present} of the batch's {expected} events are not in the table; the batch is not counted as written.",
                null, transient: true);
        }

        return added;
    }

    // A second before the batch's earliest event, so rounding to milliseconds cannot exclude its copy.
    private static DateTimeOffset Earliest(IReadOnlyList<UsageEvent> batch) =>
        batch.Min(e => e.Timestamp) is var earliest && earliest > DateTimeOffset.MinValue.AddSeconds(1) ? earliest.AddSeconds(-1) : DateTimeOffset.MinValue;

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private DatabricksException Unsettled(StatementCancelledException cancelled) =>
        new("UNSETTLED", $"A write to {TableName} on {_client.Where} was cancelled and did not end within {StatementClient.SettleTimeout.TotalSeconds:0} s; the batch is kept until it has.",
            null, transient: false) { IsUncertain = true };

    /// <summary>How many of the batch's events the table holds (by event id, within the batch's time span).</summary>
    private async Task<long> PresentAsync(IReadOnlyList<UsageEvent> batch, StatementParameter source, CancellationToken cancellationToken)
    {
        var since = Iso(Earliest(batch));
        var result = await RunAsync("confirm_batch", $"""
            SELECT count(DISTINCT t.event_id) AS present FROM {_table} AS t
            WHERE t.timestamp >= to_timestamp(:since)
              AND t.event_id IN (SELECT event_id FROM ({Source}))
            """, [source, new StatementParameter("since", since)], cancellationToken).ConfigureAwait(false);
        return result.Rows.FirstOrDefault() is { } row && result.Value(row, "present") is long n ? n : 0;
    }

    /// <summary>The <c>num_inserted_rows</c> of a DML result, or <paramref name="otherwise"/> when the warehouse gives none.</summary>
    private static long Inserted(StatementResult result, long otherwise) =>
        result.Rows.FirstOrDefault() is { } row && result.Value(row, "num_inserted_rows") is long n ? n : otherwise;

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception exception) => exception switch
    {
        DatabricksException { IsUncertain: true } => StoreErrorKind.Uncertain,
        // Refused credentials or permissions, a table or warehouse that is not there, SQL the warehouse cannot compile
        // (SQLSTATE class 42): no retry fixes these; someone must.
        DatabricksException { HttpStatus: 401 or 403 or 404 } => StoreErrorKind.Configuration,
        DatabricksException { SqlState: { } state } when state.StartsWith("42", StringComparison.Ordinal) => StoreErrorKind.Configuration,
        // SQLSTATE class 22 (a data exception) and 23 (a constraint the data breaks, such as a Delta CHECK): something in
        // this batch, not the table or the warehouse.
        DatabricksException { SqlState: { } state } when state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal)
            => StoreErrorKind.Rejected,
        _ => StoreErrorKind.Transient,
    };

    /// <summary>Refused or unreachable before a byte went out: the statement cannot have run.</summary>
    private static bool ProvablyNotSent(HttpRequestException ex) =>
        ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NetworkUnreachable };
}
