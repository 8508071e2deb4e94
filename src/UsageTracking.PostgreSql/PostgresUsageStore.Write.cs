using Npgsql;
using NpgsqlTypes;

namespace UsageTracking.PostgreSql;

public sealed partial class PostgresUsageStore
{
    /// <inheritdoc />
    public async Task<int> WriteBatchAsync(IReadOnlyList<UsageEvent> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await WriteConnectionAsync(cancellationToken).ConfigureAwait(false);
            var shape = _shape ??= await EnsureSchemaCoreAsync(connection, allowUpgrade: true, cancellationToken).ConfigureAwait(false);
            var columns = (shape.Extended ? UsageColumns.All.Where(c => shape.Has(c.Name)) : UsageColumns.Seed).ToList();
            var list = string.Join(", ", columns.Select(c => Quote(c.Name)));
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using (var copy = await connection.BeginBinaryImportAsync($"COPY {Staging} ({list}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
            {
                foreach (var e in batch)
                {
                    await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    WriteRow(copy, e, shape, columns);
                }

                await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            var conflict = shape.Extended ? " ON CONFLICT (event_id) DO NOTHING" : "";
            int added;
            await using (var insert = new NpgsqlCommand($"INSERT INTO {_table} ({list}) SELECT {list} FROM {Staging}{conflict}", connection, transaction))
            {
                added = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return added;
        }
        catch (Exception ex)
        {
            // An error the server reported leaves the connection usable (the transaction is rolled back), unless the
            // table is gone; anything else (I/O, timeout, cancellation mid-COPY) may have broken it: start afresh.
            if (ex is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable })
            {
                _shape = null;
            }

            if (ex is not PostgresException || _shape is null)
            {
                await DropWriteConnectionAsync().ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static void WriteRow(NpgsqlBinaryImporter copy, UsageEvent e, PgShape shape, List<UsageColumn> columns)
    {
        foreach (var column in columns)
        {
            switch (column.Name)
            {
                case "timestamp" when shape.TimestampTz:
                    copy.Write(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz);
                    break;
                case "timestamp":
                    copy.Write(DateTime.SpecifyKind(e.Timestamp.UtcDateTime, DateTimeKind.Unspecified), NpgsqlDbType.Timestamp);
                    break;
                case "app_name":
                    copy.Write(e.AppName ?? "", NpgsqlDbType.Text);
                    break;
                case "user":
                    copy.Write(e.User ?? "", NpgsqlDbType.Text);
                    break;
                case "action":
                    copy.Write(shape.Extended ? e.Action : e.CompatAction, NpgsqlDbType.Text);
                    break;
                case "event_id":
                    Text(copy, e.EventId);
                    break;
                case "session_id":
                    Text(copy, e.SessionId);
                    break;
                case "detail":
                    Text(copy, e.Detail);
                    break;
                case "duration_ms":
                    Value(copy, e.DurationMs, NpgsqlDbType.Double);
                    break;
                case "model":
                    Text(copy, e.Model);
                    break;
                case "input_tokens":
                    Value(copy, e.InputTokens, NpgsqlDbType.Bigint);
                    break;
                case "output_tokens":
                    Value(copy, e.OutputTokens, NpgsqlDbType.Bigint);
                    break;
                case "cost_usd":
                    Value(copy, e.CostUsd, NpgsqlDbType.Numeric);
                    break;
                case "properties" when e.PropertiesJson is { } json:
                    copy.Write(json, NpgsqlDbType.Jsonb);
                    break;
                case "is_error":
                    copy.Write(e.IsError, NpgsqlDbType.Boolean);
                    break;
                default:
                    copy.WriteNull();
                    break;
            }
        }
    }

    private static void Text(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null)
        {
            copy.WriteNull();
        }
        else
        {
            copy.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void Value<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
        where T : struct
    {
        if (value is { } v)
        {
            copy.Write(v, type);
        }
        else
        {
            copy.WriteNull();
        }
    }

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception exception) => exception switch
    {
        // Class 22 (data exception: bad text, out of range) and 23 (a constraint the data breaks) are the data's fault.
        PostgresException { SqlState: var state } when state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal)
            => StoreErrorKind.Rejected,
        _ => StoreErrorKind.Transient,
    };
}
