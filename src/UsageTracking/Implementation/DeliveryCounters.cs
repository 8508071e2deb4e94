namespace UsageTracking.Implementation;

/// <summary>Why an event was lost; every loss is counted under one of these.</summary>
internal enum DropReason
{
    QueueFull,
    SpoolFull,
    SpoolError,
    InternalError,
}

/// <summary>Which field a truncation shortened.</summary>
internal enum TruncatedField
{
    AppName,
    User,
    Action,
    SessionId,
    Detail,
    Model,
    Properties,
    EventId,
}

/// <summary>
/// Cumulative delivery counters of one tracker. Written mostly by the single writer; the rare caller-thread
/// paths (drops, truncation during durable mode) use <see cref="Interlocked"/>. The hot path touches none of them.
/// </summary>
internal sealed class DeliveryCounters
{
    private long _written;
    private long _spooled;
    private long _replayed;
    private long _alreadyPresent;
    private long _quarantined;
    private long _retries;
    private long _writerRestarts;
    private long _corruptSpoolLines;
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _truncated = new long[Enum.GetValues<TruncatedField>().Length];

    public long Written => Volatile.Read(ref _written);
    public long Spooled => Volatile.Read(ref _spooled);
    public long Replayed => Volatile.Read(ref _replayed);
    public long AlreadyPresent => Volatile.Read(ref _alreadyPresent);
    public long Quarantined => Volatile.Read(ref _quarantined);
    public long Retries => Volatile.Read(ref _retries);
    public long WriterRestarts => Volatile.Read(ref _writerRestarts);
    public long CorruptSpoolLines => Volatile.Read(ref _corruptSpoolLines);

    public long DroppedTotal => Sum(_dropped);

    public long TruncatedTotal => Sum(_truncated);

    public void AddWritten(long n) => Interlocked.Add(ref _written, n);
    public void AddSpooled(long n) => Interlocked.Add(ref _spooled, n);
    public void AddReplayed(long n) => Interlocked.Add(ref _replayed, n);
    public void AddAlreadyPresent(long n) => Interlocked.Add(ref _alreadyPresent, n);
    public void AddQuarantined(long n) => Interlocked.Add(ref _quarantined, n);
    public void AddRetry() => Interlocked.Increment(ref _retries);
    public void AddWriterRestart() => Interlocked.Increment(ref _writerRestarts);
    public void AddCorruptSpoolLines(long n) => Interlocked.Add(ref _corruptSpoolLines, n);
    public void AddDropped(DropReason reason, long n = 1) => Interlocked.Add(ref _dropped[(int)reason], n);
    public void AddTruncated(TruncatedField field) => Interlocked.Increment(ref _truncated[(int)field]);

    public long Dropped(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);
    public long Truncated(TruncatedField field) => Volatile.Read(ref _truncated[(int)field]);

    private static long Sum(long[] counts)
    {
        long sum = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            sum += Volatile.Read(ref counts[i]);
        }

        return sum;
    }

    public static string Name(DropReason reason) => reason switch
    {
        DropReason.QueueFull => "queue_full",
        DropReason.SpoolFull => "spool_full",
        DropReason.SpoolError => "spool_error",
        _ => "internal_error",
    };

    public static string Name(TruncatedField field) => field switch
    {
        TruncatedField.AppName => "app_name",
        TruncatedField.SessionId => "session_id",
        TruncatedField.EventId => "event_id",
        _ => field.ToString().ToLowerInvariant(),
    };
}
