using System.Security.Cryptography;
using UsageTracking.Reporting.Tables;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// Sends a file that is written first to a temporary file, then to the client with its length: the writers it serves
/// are synchronous (the xlsx zip) or can fail half-way (a query), and either way the client gets a whole file or a
/// clear error, never a truncated download. Memory stays flat; the temporary file is always deleted.
/// </summary>
internal static class BufferedDownload
{
    /// <summary>
    /// Runs <paramref name="write"/> into a temporary file, then sends it under the name <paramref name="fileName"/> gives for
    /// what was written (a cut file says so in its name, and in an <c>X-Download-Cut</c> header); returns what was written.
    /// </summary>
    public static async Task<ExportResult> SendAsync(HttpContext context, string contentType, Func<ExportResult, string> fileName, Func<Stream, CancellationToken, Task<ExportResult>> write)
    {
        var cancellationToken = context.RequestAborted;
        var temporary = Path.Combine(Path.GetTempPath(), $"usage-download-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
        try
        {
            ExportResult written;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                written = await write(file, cancellationToken).ConfigureAwait(false);
            }

            context.Response.ContentType = contentType;
            context.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = fileName(written), DispositionType = "attachment" }.ToString();
            if (written.CutBy is { } cut)
            {
                context.Response.Headers["X-Download-Cut"] = $"{cut}; rows={written.Rows}";
            }
            context.Response.ContentLength = new FileInfo(temporary).Length;
            await using (var file = new FileStream(temporary, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                await file.CopyToAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
            }

            return written;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
