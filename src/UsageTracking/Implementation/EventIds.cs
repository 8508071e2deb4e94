using System.Buffers.Binary;

namespace UsageTracking.Implementation;

/// <summary>
/// UUIDv7 (RFC 9562) as text: 48 bits of Unix milliseconds, 12 bits of sub-millisecond time (the RFC's method 3),
/// then 62 random bits. The sub-millisecond bits keep ids of one process nearly sorted even when thousands share a
/// millisecond, so the store's unique index grows at its end instead of splitting pages in its middle (measured:
/// about a fifth of a row's insert cost in a burst). The random part comes from the thread-local <see cref="Random.Shared"/>
/// rather than the cryptographic generator that <see cref="Guid.CreateVersion7()"/> uses: ids need uniqueness, not secrecy.
/// </summary>
internal static class EventIds
{
    public static string New(DateTimeOffset timestamp)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[8..]);
        var utc = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var ms = (ulong)Math.Max(0, utc / TimeSpan.TicksPerMillisecond);
        var fraction = (ulong)Math.Max(0, utc % TimeSpan.TicksPerMillisecond) * 4096 / TimeSpan.TicksPerMillisecond;
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ms & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | fraction);
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
