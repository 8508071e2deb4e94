using System.Security.Cryptography;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// Sends a file that is written first to a temporary file, then to the client with its length: the writers it serves
/// are synchronous (the xlsx zip) or can fail half-way (a query), and either way the client gets a whole file or a
/// clear error, never a truncated download. Memory stays flat; the temporary file is always deleted.
/// </summary>
internal static class BufferedDownload
{
    /// <summary>Runs <paramref name="write"/> into a temporary file, then sends it; returns what <paramref name="write"/> returned (rows written).</summary>
    public static async Task<long> SendAsync(HttpContext context, string fileName, string contentType, Func<Stream, CancellationToken, Task<long>> write)
    {
        var cancellationToken = context.RequestAborted;
        var temporary = Path.Combine(Path.GetTempPath(), $"usage-download-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}{Path.GetExtension(fileName)}");
        try
        {
            long rows;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                rows = await write(file, cancellationToken).ConfigureAwait(false);
            }

            context.Response.ContentType = contentType;
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            context.Response.ContentLength = new FileInfo(temporary).Length;
            await using (var file = new FileStream(temporary, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                await file.CopyToAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
            }

            return rows;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
