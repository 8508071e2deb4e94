using System.CommandLine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using UsageTracking.Cli.Commands;

namespace UsageTracking.Cli;

/// <summary>The <c>usage</c> command line: parsing, exit codes and the one-sentence error contract.</summary>
internal static class UsageCli
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadUsage = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("usage: track, query, export and maintain the central_app_usage table.");
        GlobalOptions.AddTo(root);
        root.Add(InitCommand.Create(output));
        root.Add(TrackCommand.Create(output));
        root.Add(ErrorCommand.Create(output));
        root.Add(StatsCommand.Create(output));
        root.Add(ExportCommand.Create(output, error));
        root.Add(ReportCommand.Create(output));
        root.Add(CleanupCommand.Create(output));
        root.Add(RebuildRollupsCommand.Create(output));
        root.Add(SpoolCommand.Create(output));
        root.Add(GenerateCommand.Create(output, error));
        root.Add(ForgetCommand.Create(output));
        root.Add(SelftestCommand.Create(output));
        root.Add(StatusCommand.Create(output));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var message = string.Join(' ', parse.Errors[0].Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await error.WriteLineAsync($"{message} Run 'usage --help' for usage.").ConfigureAwait(false);
            return BadUsage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (Describe(ex) is { } message)
        {
            await error.WriteLineAsync(message).ConfigureAwait(false);
            return ex is CliUsageException ? BadUsage : Failure;
        }
    }

    /// <summary>One sentence for the user; the stack trace never reaches them.</summary>
    internal static string? Describe(Exception ex) => ex switch
    {
        CliUsageException => ex.Message,
        OptionsValidationException o => "Invalid settings: " + string.Join(" ", o.Failures),
        UsageStoreException => ex.Message,
        SqliteException s => $"The SQLite store failed: {s.Message.Split('\n')[0].TrimEnd('.')}.",
        ArgumentException => ex.Message,
        UnauthorizedAccessException or IOException => $"File access failed: {ex.Message}",
        OperationCanceledException => "Cancelled.",
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerException!),
        _ when ex.InnerException is { } inner && Describe(inner) is { } innerMessage => innerMessage,
        _ => $"Failed: {ex.Message}",
    };
}

/// <summary>Bad arguments detected after parsing; exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
