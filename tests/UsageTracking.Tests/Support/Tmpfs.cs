using System.Diagnostics;

namespace UsageTracking.Tests.Support;

/// <summary>A size-capped tmpfs mounted for one test: a disk that really fills up (needs root, as ./test.sh runs).</summary>
public sealed class Tmpfs : IDisposable
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public Tmpfs(string sizeInKiB)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "usage-tmpfs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
        Run("mount", $"-t tmpfs -o size={sizeInKiB}k tmpfs {Path}");
    }

    /// <summary>Why no tmpfs can be mounted here, or null when one can.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    public string Path { get; }

    /// <summary>Gives the file system more room, as an operator freeing space would.</summary>
    public void Resize(string sizeInKiB) => Run("mount", $"-o remount,size={sizeInKiB}k {Path}");

    public void Dispose()
    {
        Run("umount", $"-l {Path}", throwOnFailure: false);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? Probe()
    {
        try
        {
            using var probe = new Tmpfs("64");
            return null;
        }
        catch (Exception ex)
        {
            return $"No size-capped file system for the full-disk tests: mounting a tmpfs needs root ({ex.Message}).";
        }
    }

    private static void Run(string program, string arguments, bool throwOnFailure = true)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && throwOnFailure)
        {
            throw new InvalidOperationException($"{program} {arguments} failed: {error.Trim()}");
        }
    }
}

/// <summary>A test that needs <see cref="Tmpfs"/>; skipped, saying why, where it cannot be mounted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (Tmpfs.WhyUnavailable is { } why)
        {
            Skip = why;
        }
    }
}
