using UsageTracking.Cli;

return await UsageCli.RunAsync(args, Console.Out, Console.Error);
