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

                await tracker.FlushAsync(ct);
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

            // The final state, after the shutdown's own delivery and replay: what is in the store, what waits, what is lost.
            await tracker.DisposeAsync();
            var health = tracker.GetHealth();
            var dropped = health.Dropped.Values.Sum();
            var waiting = UsageSpool.Inspect(host.Options);
            await output.WriteLineAsync($"Generated {n:N0} events for {u} users over {d} days into {host.Store.Description}: {health.Written:N0} written"
                + (health.Replayed > 0 ? $" (of them {health.Replayed:N0} replayed from the spool)" : "")
                + (health.Quarantined > 0 ? $", {health.Quarantined:N0} refused by the store and quarantined" : "") + ".");
            if (dropped > 0)
            {
                await error.WriteLineAsync($"{dropped:N0} events were lost ({string.Join(", ", health.Dropped.Keys)}): the store could not take them{(health.LastError is { } why ? $" ({why})" : "")} and neither could the spool at {tracker.SpoolDirectory}{(health.LastSpoolError is { } spool ? $" ({spool.TrimEnd('.')})" : "")}.");
                return UsageCli.Failure;
            }

            if (waiting.Events > 0)
            {
                await error.WriteLineAsync($"{waiting.Events:N0} events wait in the spool at {tracker.SpoolDirectory} and are written when the store can take them (usage spool replay){(health.LastError is { } why ? $"; the store said: {why}" : "")}.");
                return UsageCli.Failure;
            }

            return UsageCli.Ok;
        });
        return command;
    }
}
