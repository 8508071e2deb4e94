using UsageTracking.Implementation;

namespace UsageTracking;

/// <summary>What waits in a spool folder, as <see cref="UsageSpool.Inspect"/> finds it.</summary>
/// <param name="Directory">The spool folder.</param>
/// <param name="Files">Files waiting to be replayed.</param>
/// <param name="Bytes">Their size.</param>
/// <param name="Events">Events in them that can be read (what a replay would write).</param>
/// <param name="UnreadableLines">Lines in them that are not events (a replay sets them aside in the quarantine).</param>
/// <param name="FilesInUse">Files another process holds (a running tracker's journal): not read.</param>
/// <param name="Oldest">When the oldest file was written, or null.</param>
/// <param name="Quarantined">Events in the quarantine that the store refused.</param>
/// <param name="QuarantinedLines">Unreadable spool lines in the quarantine.</param>
public sealed record SpoolReport(string Directory, int Files, long Bytes, long Events, long UnreadableLines, int FilesInUse, DateTimeOffset? Oldest,
    long Quarantined, long QuarantinedLines);

/// <summary>Reads a spool folder without a tracker (for <c>usage spool status</c> and health pages).</summary>
public static class UsageSpool
{
    /// <summary>Counts what waits in the spool and the quarantine of <paramref name="options"/>, changing nothing.</summary>
    /// <param name="options">The settings (the spool folder).</param>
    public static SpoolReport Inspect(UsageTrackingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folder = new DirectoryInfo(Path.GetFullPath(options.ResolvedSpoolDirectory));
        if (!folder.Exists)
        {
            return new SpoolReport(folder.FullName, 0, 0, 0, 0, 0, null, 0, 0);
        }

        int files = 0, inUse = 0;
        long bytes = 0, events = 0, unreadable = 0;
        DateTimeOffset? oldest = null;
        foreach (var file in folder.EnumerateFiles("*.jsonl"))
        {
            files++;
            bytes += file.Length;
            oldest = oldest is { } o && o <= file.LastWriteTimeUtc ? o : new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero);
            try
            {
                var (read, bad) = Spool.Parse(File.ReadAllBytes(file.FullName));
                events += read.Count;
                unreadable += bad.Count;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                inUse++;
            }
        }

        long quarantined = 0, quarantinedLines = 0;
        var quarantine = new DirectoryInfo(Path.Combine(folder.FullName, "quarantine"));
        if (quarantine.Exists)
        {
            foreach (var line in quarantine.EnumerateFiles("*.jsonl").SelectMany(f => File.ReadLines(f.FullName)).Where(l => l.Length > 0))
            {
                if (SpoolSerializer.IsUnreadableLine(line))
                {
                    quarantinedLines++;
                }
                else
                {
                    quarantined++;
                }
            }
        }

        return new SpoolReport(folder.FullName, files, bytes, events, unreadable, inUse, oldest, quarantined, quarantinedLines);
    }
}
