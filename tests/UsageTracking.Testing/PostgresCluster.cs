using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace UsageTracking.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster from Debian's <c>postgresql</c> package, created under the temp folder, bound to
/// 127.0.0.1 on a free port, and removed after the tests. As root, the server runs as the <c>postgres</c> user
/// (initdb refuses root). Its time zone is New York, not UTC, so any date arithmetic that forgets UTC shows.
/// <c>./test.sh</c> installs the package; without it the tests fail saying so.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "usage-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private string _bin = "";

    public int Port { get; private set; }

    public string ConnectionString { get; private set; } = "";

    private string Data => Path.Combine(_root, "data");

    private static bool IsRoot => Environment.UserName == "root";

    public async Task StartAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault() ?? ""
            : "";
        if (_bin.Length == 0)
        {
            throw new InvalidOperationException("PostgreSQL is not installed: ./test.sh installs it (Debian package postgresql).");
        }

        Directory.CreateDirectory(_root);
        if (IsRoot)
        {
            Run("chown", "-R", "postgres:postgres", _root);
        }

        RunAsServerUser(Path.Combine(_bin, "initdb"), "-D", Data, "--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-locale");
        Port = FreePort();
        Start();
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = "usage_tests",
            Timeout = 5,
        }.ConnectionString;

        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres" }.ConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand("CREATE DATABASE usage_tests", admin);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>Starts the server (again).</summary>
    public void Start() => RunAsServerUser(Path.Combine(_bin, "pg_ctl"), "-D", Data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "30",
        "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c timezone=America/New_York", "start");

    /// <summary>Kills the server as a crash would: immediate shutdown, no checkpoint, clients cut off.</summary>
    public void Kill()
    {
        RunAsServerUser(Path.Combine(_bin, "pg_ctl"), "-D", Data, "-m", "immediate", "-w", "stop");
        NpgsqlConnection.ClearAllPools();
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void RunAsServerUser(string program, params string[] args)
    {
        if (IsRoot)
        {
            Run("runuser", ["-u", "postgres", "--", program, .. args]);
        }
        else
        {
            Run(program, args);
        }
    }

    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(program)} did not finish in 60 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}{output.Result}");
        }
    }
}
