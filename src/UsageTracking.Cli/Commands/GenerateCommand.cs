using System.CommandLine;
using Spectre.Console;
using UsageTracking.Cli.Generation;

namespace UsageTracking.Cli.Commands;

internal static class GenerateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var events = new Option<long>("--events") { Description = "How many events.", DefaultValueFactory = _ => 10_000 };
        var users = new Option<int>("--users") { Description = "How many distinct users.", DefaultValueFactory = _ => 50 };
        var days = new Option<int>("--days") { Description = "Spread over this many days back from now.", DefaultValueFactory = _ => 30 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same users and flow.", DefaultValueFactory = _ => 42 };
        var command = new Command("generate", "Track realistic synthetic usage through the SDK, for demos and benchmarks.") { events, users, days, seed };
        command.SetAction(async (parse, ct) =>
        {
            var (n, u, d) = (parse.GetValue(events), parse.GetValue(users), parse.GetValue(days));
            if (n < 1 || u < 1 || d < 1)
            {
                throw new CliUsageException("--events, --users and --days must each be 1 or more.");
            }

            await using var host = CliHost.Create(parse, o => o.ShutdownTimeout = TimeSpan.FromMinutes(1));
            await host.EnsureStoreAsync(ct);
            var generator = new SyntheticUsage(host.Options.AppName, u, d, parse.GetValue(seed), DateTimeOffset.UtcNow);
            var tracker = host.Tracker;
            var highWater = host.Options.QueueCapacity / 2;

            async Task Run(Action<long>? progress)
            {
                long i = 0;
                foreach (var e in generator.Generate(n))
                {
                    tracker.Track(e);
                    if (++i % 5_000 == 0)
                    {
                        progress?.Invoke(i);
                        // Stay under the queue's capacity: this is a bulk load, not a burst to absorb.
                        while (tracker.GetHealth().QueueDepth > highWater)
                        {
                            await Task.Delay(5, ct);
                        }
                    }
                }

                FlushResult flush;
                do
                {
                    flush = await tracker.FlushAsync(ct);
                }
                while (!flush.Completed && flush.Pending > 0);
            }

            if (!Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
                await console.Progress().StartAsync(async p =>
                {
                    var task = p.AddTask("Generating", maxValue: n);
                    await Run(i => task.Value = i);
                    task.Value = n;
                });
            }
            else
            {
                await Run(null);
            }

            var health = tracker.GetHealth();
            await output.WriteLineAsync($"Generated {n:N0} events for {u} users over {d} days into {host.Store.Description}: {health.Written:N0} written, {health.Spooled:N0} spooled.");
            return health.Spooled > 0 && health.Written < n ? UsageCli.Failure : UsageCli.Ok;
        });
        return command;
    }
}
