namespace UsageTracking.Reporting;

/// <summary>
/// A stream over a destination that must be written asynchronously (an HTTP response): writers that write synchronously
/// (CsvHelper's record buffer, Utf8JsonWriter) write here into memory, and <see cref="DrainAsync"/> hands what gathered to
/// the destination asynchronously. The exporters drain every few tens of kilobytes, so memory stays small.
/// </summary>
internal sealed class AsyncWriteBuffer(Stream destination) : Stream
{
    /// <summary>How much the exporters let gather before draining.</summary>
    public const int DrainAt = 64 * 1024;

    private readonly MemoryStream _pending = new();

    public long Pending => _pending.Length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => _pending.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _pending.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        _pending.Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _pending.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    // A synchronous flush only keeps the bytes; they reach the destination at the next drain.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => DrainAsync(cancellationToken);

    /// <summary>Sends what gathered to the destination, asynchronously.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (_pending.Length > 0)
        {
            await destination.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), cancellationToken).ConfigureAwait(false);
            _pending.SetLength(0);
        }

        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pending.Dispose();
        }

        base.Dispose(disposing);
    }
}
