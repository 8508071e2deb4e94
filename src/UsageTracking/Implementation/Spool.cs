using System.Buffers;
using System.Diagnostics;

namespace UsageTracking.Implementation;

/// <summary>
/// The on-disk spool: a folder of JSON-lines files replayed oldest first (names start with UTC ticks).
/// <list type="bullet">
/// <item><c>*-b-*.jsonl</c>: a batch the store could not take, written to a temporary name and renamed, so it is whole or absent.</item>
/// <item><c>*-o-*.jsonl</c>: a chunk of events that found the in-memory queue full, written whole like a batch.</item>
/// <item><c>*-j-*.jsonl</c>: the durable-mode journal; deleted once every event in it is written or spooled, replayed after a crash.</item>
/// <item><c>quarantine/*.jsonl</c>: events the store refused on their own, with the reason; never replayed automatically.</item>
/// </list>
/// Files this process is appending to are held with an exclusive lock, so another process sharing the folder skips them,
/// and a replay holds its file locked until it is written and deleted.
/// </summary>
internal sealed class Spool : IDisposable
{
    private const long AppendFileMaxBytes = 4 * 1024 * 1024;
    private static int s_sequence;

    private readonly long _maxBytes;
    private readonly TimeProvider _time;
    private readonly DeliveryCounters _counters;
    private readonly Lock _appendLock = new();
    private readonly HashSet<string> _ownFiles = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _appendBuffer = new(1024);
    private readonly Dictionary<string, int> _eventsByFile = new(StringComparer.Ordinal);
    private AppendFile? _journal;
    private long _bytes;
    private int _files;
    private long _events;

    public Spool(string directory, long maxBytes, TimeProvider time, DeliveryCounters counters)
    {
        Directory = Path.GetFullPath(directory);
        QuarantineDirectory = Path.Combine(Directory, "quarantine");
        _maxBytes = maxBytes;
        _time = time;
        _counters = counters;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            foreach (var file in new DirectoryInfo(Directory).EnumerateFiles("*.jsonl"))
            {
                _bytes += file.Length;
                _files++;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The tracker still runs: every spool write will fail and be counted as spool_error.
            StartupError = ex.Message;
        }
    }

    /// <summary>Why the spool folder could not be prepared, or null.</summary>
    public string? StartupError { get; }

    /// <summary>Why the last file could not be written (e.g. the disk is full), or null.</summary>
    public string? LastError { get; private set; }

    public string Directory { get; }

    public string QuarantineDirectory { get; }

    public long Bytes => Interlocked.Read(ref _bytes);

    public int Files => Volatile.Read(ref _files);

    /// <summary>
    /// Events waiting in files this process wrote or has read (a file left by an earlier run is counted once the replay
    /// opens it); the durable journal is not counted, since its events are still queued in memory as well.
    /// </summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Writes a whole batch as one new file. False when the spool is full or the disk refuses; the caller counts the loss.</summary>
    public bool TryWriteBatch(IReadOnlyList<UsageEvent> events, out DropReason failure) =>
        TryWriteFile(NewName("b"), events, out failure);

    /// <summary>Writes a chunk of events that found the queue full, as one new file.</summary>
    public bool TryWriteOverflow(IReadOnlyList<UsageEvent> events, out DropReason failure) =>
        TryWriteFile(NewName("o"), events, out failure);

    /// <summary>Appends one event to the durable journal before the caller's <c>Track</c> returns.</summary>
    public JournalSegment? AppendJournal(UsageEvent e)
    {
        lock (_appendLock)
        {
            try
            {
                _journal ??= OpenAppendFile("j", journal: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Durability is lost for this event, not the event: it is still queued in memory.
                return null;
            }

            var segment = _journal.Segment!;
            segment.AddOutstanding();
            if (!Append(_journal, e))
            {
                segment.Ack();
                return null;
            }

            if (_journal.Length >= AppendFileMaxBytes)
            {
                CloseAppendFile(ref _journal);
            }

            return segment;
        }
    }

    /// <summary>Replayable files, oldest first: everything but the files this process is appending to.</summary>
    public IReadOnlyList<string> PendingFiles()
    {
        string[] names;
        try
        {
            names = System.IO.Directory.GetFiles(Directory, "*.jsonl");
        }
        catch (IOException)
        {
            return [];
        }

        lock (_appendLock)
        {
            return names.Where(n => !_ownFiles.Contains(n)).Order(StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>Opens a spool file for replay with an exclusive lock; null when another process holds it or it is gone.</summary>
    public SpoolLease? TryLease(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 64 * 1024, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        List<UsageEvent> events;
        List<(int Line, string Text)> unreadable;
        try
        {
            var data = new byte[stream.Length];
            stream.ReadExactly(data);
            (events, unreadable) = Parse(data);
        }
        catch (IOException)
        {
            stream.Dispose();
            return null;
        }

        if (unreadable.Count > 0)
        {
            _counters.AddCorruptSpoolLines(unreadable.Count);
        }

        lock (_eventsByFile)
        {
            if (_eventsByFile.TryAdd(path, events.Count))
            {
                Interlocked.Add(ref _events, events.Count);
            }
        }

        return new SpoolLease(this, path, stream, events, unreadable);
    }

    /// <summary>
    /// The events of a spool file, and the lines that are not one (numbered from 1), e.g. a line torn by a crash. A byte
    /// order mark (from an editor or another tool) is ignored wherever a line starts with one.
    /// </summary>
    internal static (List<UsageEvent> Events, List<(int Line, string Text)> Unreadable) Parse(ReadOnlySpan<byte> data)
    {
        var events = new List<UsageEvent>();
        var unreadable = new List<(int, string)>();
        var number = 0;
        while (!data.IsEmpty)
        {
            var end = data.IndexOf((byte)'\n');
            var line = end < 0 ? data : data[..end];
            data = end < 0 ? [] : data[(end + 1)..];
            number++;
            if (line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                line = line[3..];
            }

            if (line.Trim((byte)' ').Trim((byte)'\r').IsEmpty)
            {
                continue;
            }

            if (SpoolSerializer.ReadLine(line) is { } e)
            {
                events.Add(e);
            }
            else
            {
                unreadable.Add((number, System.Text.Encoding.UTF8.GetString(line)));
            }
        }

        return (events, unreadable);
    }

    /// <summary>Sets aside lines of a spool file that are not events, with the file and line each came from.</summary>
    public bool QuarantineUnreadable(string path, IReadOnlyList<(int Line, string Text)> lines)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * lines.Count);
        var name = System.IO.Path.GetFileName(path);
        foreach (var (line, text) in lines)
        {
            SpoolSerializer.WriteUnreadableLine(buffer, $"{name}:{line}", text, _time.GetUtcNow());
        }

        return AppendQuarantine(buffer);
    }

    /// <summary>Sets aside an event the store refused on its own, with the reason.</summary>
    public bool Quarantine(UsageEvent e, string reason)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        SpoolSerializer.WriteQuarantineLine(buffer, e, reason, _time.GetUtcNow());
        return AppendQuarantine(buffer);
    }

    private bool AppendQuarantine(ArrayBufferWriter<byte> lines)
    {
        try
        {
            System.IO.Directory.CreateDirectory(QuarantineDirectory);
            var path = Path.Combine(QuarantineDirectory, $"{_time.GetUtcNow().UtcDateTime:yyyyMMdd}.jsonl");
            lock (_appendLock)
            {
                using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
                stream.Write(lines.WrittenSpan);
                stream.Flush(flushToDisk: true);
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes the given users' events from every spool file no process is using and from the quarantine.
    /// Returns how many events went and how many files were in use (and left as they are).
    /// </summary>
    public (long Removed, int FilesInUse) RemoveUsers(IReadOnlySet<string> users)
    {
        long removed = 0;
        var inUse = 0;
        foreach (var path in PendingFiles())
        {
            using var lease = TryLease(path);
            if (lease is null)
            {
                inUse++;
                continue;
            }

            var keep = lease.Events.Where(e => e.User is null || !users.Contains(e.User)).ToList();
            if (keep.Count == lease.Events.Count)
            {
                continue;
            }

            if (keep.Count == 0 || TryWriteRemainder(path, keep))
            {
                removed += lease.Events.Count - keep.Count;
                lease.Complete();
            }
        }

        if (System.IO.Directory.Exists(QuarantineDirectory))
        {
            foreach (var path in System.IO.Directory.GetFiles(QuarantineDirectory, "*.jsonl"))
            {
                var lines = File.ReadAllLines(path);
                // An unreadable line set aside may still name the user in its text: it goes too.
                var keep = lines.Where(line => SpoolSerializer.ReadQuarantinedUser(line) is { } user ? !users.Contains(user)
                    : !users.Any(u => line.Contains(u, StringComparison.Ordinal))).ToArray();
                if (keep.Length != lines.Length)
                {
                    removed += lines.Length - keep.Length;
                    File.WriteAllLines(path + ".tmp", keep);
                    File.Move(path + ".tmp", path, overwrite: true);
                }
            }
        }

        return (removed, inUse);
    }

    public void Dispose()
    {
        lock (_appendLock)
        {
            CloseAppendFile(ref _journal);
        }
    }

    internal void Completed(string path, long length)
    {
        Interlocked.Add(ref _bytes, -length);
        Interlocked.Decrement(ref _files);
        lock (_eventsByFile)
        {
            if (_eventsByFile.Remove(path, out var events))
            {
                Interlocked.Add(ref _events, -events);
            }
        }
    }

    internal bool TryWriteRemainder(string originalPath, IReadOnlyList<UsageEvent> remaining)
    {
        // Same tick prefix as the original, so the remainder keeps its place at the head of the replay order.
        var name = Path.GetFileNameWithoutExtension(originalPath);
        var tick = name.Split('-')[0];
        return TryWriteFile(Path.Combine(Directory, $"{tick}-r-{Environment.ProcessId}-{Interlocked.Increment(ref s_sequence)}.jsonl"), remaining, out _);
    }

    private bool TryWriteFile(string path, IReadOnlyList<UsageEvent> events, out DropReason failure)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(1, events.Count) * 256);
        foreach (var e in events)
        {
            SpoolSerializer.WriteLine(buffer, e);
        }

        if (Bytes + buffer.WrittenCount > _maxBytes)
        {
            failure = DropReason.SpoolFull;
            return false;
        }

        var temp = path + ".tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(buffer.WrittenSpan);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            LastError = ex.Message;
            failure = DropReason.SpoolError;
            return false;
        }

        Interlocked.Add(ref _bytes, buffer.WrittenCount);
        Interlocked.Increment(ref _files);
        lock (_eventsByFile)
        {
            _eventsByFile[path] = events.Count;
            Interlocked.Add(ref _events, events.Count);
        }

        failure = default;
        return true;
    }

    private bool Append(AppendFile file, UsageEvent e)
    {
        _appendBuffer.ResetWrittenCount();
        SpoolSerializer.WriteLine(_appendBuffer, e);
        try
        {
            // Unbuffered stream: each event is one write(2), in the kernel before Track returns.
            file.Stream.Write(_appendBuffer.WrittenSpan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        file.Length += _appendBuffer.WrittenCount;
        Interlocked.Add(ref _bytes, _appendBuffer.WrittenCount);
        return true;
    }

    private AppendFile OpenAppendFile(string kind, bool journal)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = NewName(kind);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        _ownFiles.Add(path);
        Interlocked.Increment(ref _files);
        var file = new AppendFile(path, stream);
        if (journal)
        {
            file.Segment = new JournalSegment(this, path);
        }

        return file;
    }

    private void CloseAppendFile(ref AppendFile? file)
    {
        if (file is null)
        {
            return;
        }

        file.Stream.Dispose();
        _ownFiles.Remove(file.Path);
        file.Segment?.Close(file.Length);
        file = null;
    }

    internal void DeleteJournal(string path, long length)
    {
        if (TryDelete(path))
        {
            Completed(path, length);
        }
    }

    private string NewName(string kind) =>
        Path.Combine(Directory, $"{_time.GetUtcNow().UtcTicks:D19}-{kind}-{Environment.ProcessId}-{Interlocked.Increment(ref s_sequence)}.jsonl");

    internal static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Debug.WriteLine(ex.Message);
            return false;
        }
    }

    private sealed class AppendFile(string path, FileStream stream)
    {
        public string Path { get; } = path;
        public FileStream Stream { get; } = stream;
        public long Length { get; set; }
        public JournalSegment? Segment { get; set; }
    }
}

/// <summary>
/// One durable-mode journal file and how many of its events are still in memory. Once closed and every event
/// acknowledged (written, spooled or quarantined), the file is deleted; after a crash it is replayed instead.
/// </summary>
internal sealed class JournalSegment(Spool spool, string path)
{
    private readonly Lock _lock = new();
    private int _outstanding;
    private bool _closed;
    private long _length;

    public void AddOutstanding()
    {
        lock (_lock)
        {
            _outstanding++;
        }
    }

    public void Ack()
    {
        lock (_lock)
        {
            _outstanding--;
            if (!_closed || _outstanding > 0)
            {
                return;
            }
        }

        spool.DeleteJournal(path, _length);
    }

    public void Close(long length)
    {
        lock (_lock)
        {
            _closed = true;
            _length = length;
            if (_outstanding > 0)
            {
                return;
            }
        }

        spool.DeleteJournal(path, _length);
    }
}

/// <summary>A spool file held open and locked while its events are replayed.</summary>
internal sealed class SpoolLease(Spool spool, string path, FileStream stream, List<UsageEvent> events, List<(int Line, string Text)> unreadable) : IDisposable
{
    public string Path { get; } = path;
    public IReadOnlyList<UsageEvent> Events { get; } = events;
    public IReadOnlyList<(int Line, string Text)> Unreadable { get; } = unreadable;

    /// <summary>
    /// Every event is in the store: delete the file, once its unreadable lines are in the quarantine (with the file and line
    /// each came from). A file whose lines the quarantine cannot take stays, to be tried again.
    /// </summary>
    public void Complete()
    {
        if (Unreadable.Count > 0 && !spool.QuarantineUnreadable(Path, Unreadable))
        {
            stream.Dispose();
            return;
        }

        var length = stream.Length;
        if (Spool.TryDelete(Path))
        {
            spool.Completed(Path, length);
        }

        stream.Dispose();
    }

    /// <summary>
    /// The first events are in the store, the rest are not: keep only the rest, so a later replay does not
    /// send the written ones again (which the 4-column seed table could not deduplicate).
    /// </summary>
    public void KeepRemainder(int alreadyWritten)
    {
        if (alreadyWritten <= 0)
        {
            return;
        }

        if (spool.TryWriteRemainder(Path, Events.Skip(alreadyWritten).ToList()))
        {
            Complete();
        }
    }

    public void Dispose() => stream.Dispose();
}
