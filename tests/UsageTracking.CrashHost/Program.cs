using UsageTracking;

// A process for the crash tests: tracks numbered events and reports each thousand acknowledged ones on stdout.
//   kill  <db> <spool>  : durable mode, tracks until killed (the test sends SIGKILL).
//   exit  <db> <spool> N: tracks N events, then calls Environment.Exit without disposing the tracker.
var (mode, database, spool) = (args[0], args[1], args[2]);
var tracker = UsageTracker.Create(new UsageTrackingOptions
{
    AppName = "crash-host",
    ConnectionString = database,
    SpoolDirectory = spool,
    Durable = mode == "kill",
    FlushInterval = TimeSpan.FromMilliseconds(100),
    BatchSize = 500,
});

if (mode == "exit")
{
    var count = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
    for (var i = 0; i < count; i++)
    {
        tracker.Track(new UsageEvent { User = "exit@example.com", Action = "exit_test", Detail = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    Console.Out.WriteLine($"acked {count}");
    Console.Out.Flush();
    Environment.Exit(0);
}

for (var i = 0; ; i++)
{
    tracker.Track(new UsageEvent { User = "crash@example.com", Action = "crash_test", Detail = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    if ((i + 1) % 1_000 == 0)
    {
        Console.Out.WriteLine($"acked {i + 1}");
        Console.Out.Flush();
    }
}
