using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Components;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Endpoints;
using UsageTracking.QueryApp.Generation;
using UsageTracking.QueryApp.Generation.Interpreting;
using UsageTracking.QueryApp.Identity;
using UsageTracking.QueryApp.Services;
using UsageTracking.Reporting.Alerts;

namespace UsageTracking.QueryApp;

/// <summary>Builds the query app; <c>Program</c> and the tests share it.</summary>
public static class QueryApplication
{
    /// <summary>Creates the app from command-line arguments; <paramref name="configure"/> lets tests add settings.</summary>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Content (questions, scripts) is embedded, so the app runs the same from any folder.
            ContentRootPath = AppContext.BaseDirectory,
            // Named for its own assembly, so the framework's assets (blazor.web.js, component modules) are found from any host.
            ApplicationName = typeof(QueryApplication).Assembly.GetName().Name,
        });
        // Built (not published) output serves the framework's assets from the build's manifest in every environment.
        builder.WebHost.UseStaticWebAssets();
        configure?.Invoke(builder);
        builder.Services.AddQueryAppServices(builder.Configuration);
        var app = builder.Build();
        app.UseQueryApp();
        return app;
    }

    /// <summary>Registers the tracker, the data sources, the generator and the flow.</summary>
    public static IServiceCollection AddQueryAppServices(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddUsageTracking(configuration.GetSection(UsageTrackingOptions.SectionName));
        services.AddQueryFlow(configuration);
        services.AddQueryAppAuthentication();
        services.AddSingleton<DashboardService>();
        services.AddSingleton<LiveUpdates>();
        services.AddOptions<UsageTracking.Reporting.KpiThresholds>().Bind(configuration.GetSection(UsageTracking.Reporting.KpiThresholds.SectionName));
        services.AddHealthChecks().AddCheck<UsageStoreHealthCheck>("usage-store", tags: ["ready"]).AddCheck<ProcessHealthCheck>("process");
        services.AddOptions<AlertOptions>().Bind(configuration.GetSection(AlertOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>();
        services.AddHttpClient("alerts", client => client.Timeout = TimeSpan.FromSeconds(10));
        services.AddHostedService<AlertService>();
        services.AddHostedService<DemoDataInitializer>();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        // Malformed request bodies reach the exception handler, which answers in one sentence.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        // Errors the framework answers itself (404, 405, 413, 415, a refused Host) get the app's one-sentence shape too.
        services.Insert(0, ServiceDescriptor.Transient<IStartupFilter, ErrorResponses.StartupFilter>());
        services.PostConfigure<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>(o =>
        {
            // Only the loopback names unless AllowedHosts says otherwise: a page on another site cannot reach the app
            // through a rebound DNS name.
            if (configuration["AllowedHosts"] is null)
            {
                o.AllowedHosts = ["localhost", "127.0.0.1", "[::1]"];
            }

            o.IncludeFailureMessage = false;
        });
        // Request bodies are a question, a query or a column list: a megabyte is far more than any of them.
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = 1 << 20);
        return services;
    }

    /// <summary>
    /// The flow and what it needs — data sources, examples, questions, runs, query slots, the generator, the glossary —
    /// without the tracker (an <see cref="IUsageTracker"/> registered by the host) or the web host.
    /// </summary>
    public static IServiceCollection AddQueryFlow(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<QueryAppOptions>().Bind(configuration.GetSection(QueryAppOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<QueryAppOptions>, QueryAppOptionsValidator>();
        services.AddSingleton<DataSourceCatalog>();
        services.AddSingleton(sp => new ExampleStore(Path.Combine(sp.GetRequiredService<DataSourceCatalog>().DataDirectory, "query-examples.json")));
        services.AddSingleton<QuestionBank>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<QuerySlots>();
        // TryAdd: a host may bring a generator of its own.
        services.TryAddSingleton<ISqlGenerator>(sp =>
        {
            var llm = sp.GetRequiredService<IOptions<QueryAppOptions>>().Value.Llm;
            return string.IsNullOrWhiteSpace(llm.Model)
                ? new OfflineSqlGenerator(sp.GetRequiredService<SourceModels>())
                : new ChatModelSqlGenerator(sp.GetRequiredService<IChatClient>(), llm);
        });
        // The model client, once: any OpenAI-compatible endpoint unless a host (or a test) registers its own IChatClient.
        services.TryAddSingleton(sp => ChatModelSqlGenerator.CreateOpenAiClient(sp.GetRequiredService<IOptions<QueryAppOptions>>().Value.Llm));
        services.AddSingleton(sp => new SourceModels(sp.GetRequiredService<DataSourceCatalog>().DataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<GlossaryService>();
        services.AddSingleton<QueryFlow>();
        return services;
    }

    /// <summary>The request pipeline: errors as one sentence, embedded assets, sessions, pages and endpoints.</summary>
    public static WebApplication UseQueryApp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // SQLite user queries sort and group in memory, never in temporary files: this bounds that memory for the process.
        UsageTracking.Sqlite.SqliteSqlSource.LimitProcessMemory(app.Services.GetRequiredService<IOptions<QueryAppOptions>>().Value.SqliteMemoryLimit);
        // Exports the tracker's metrics over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; does nothing otherwise.
        if (UsageTrackingOtlp.StartFromEnvironment() is { } meters)
        {
            app.Lifetime.ApplicationStopped.Register(meters.Dispose);
        }

        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteErrorAsync, StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : 500 });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new CompositeFileProvider(
                new EmbeddedFileProvider(typeof(QueryApplication).Assembly, "UsageTracking.QueryApp.Assets"),
                new EmbeddedFileProvider(typeof(UsageTracking.Reporting.UsageExport).Assembly, "UsageTracking.Reporting.Assets")),
            RequestPath = "/assets",
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        app.UseAuthentication();
        app.UseMiddleware<UserSessionMiddleware>();
        app.UseMiddleware<CrossSiteGuard>();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapFlowEndpoints();
        app.MapDashboardEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    // Users get one sentence, never a stack trace; the details go to the log. A failure of the app itself (not a bad request)
    // is tracked as app_error: the exception's type and message, the route and method — never the request's body.
    private static Task WriteErrorAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is not null and not BadHttpRequestException && context.RequestServices.GetService<IUsageTracker>() is { } tracker)
        {
            var session = context.Features.Get<UserSession>();
            tracker.Track(AppErrors.Event(
                session?.User ?? context.RequestServices.GetRequiredService<IOptions<QueryAppOptions>>().Value.DefaultUser, session?.SessionId, error,
                new Dictionary<string, object?>
                {
                    ["path"] = context.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? context.Request.Path.Value,
                    ["method"] = context.Request.Method,
                    ["status"] = context.Response.StatusCode,
                }));
        }

        var message = error is BadHttpRequestException { StatusCode: 400 }
            ? "The request was not understood: send JSON with the fields the page sends."
            : ErrorResponses.Sentence(context.Response.StatusCode, context.Request.Method);
        return ErrorResponses.WriteAsync(context, message);
    }

    private sealed class AlertOptionsValidator : IValidateOptions<AlertOptions>
    {
        public ValidateOptionsResult Validate(string? name, AlertOptions options) =>
            options.Validate() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    private sealed class QueryAppOptionsValidator : IValidateOptions<QueryAppOptions>
    {
        public ValidateOptionsResult Validate(string? name, QueryAppOptions options) =>
            options.Validate() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}

/// <summary>Creates the demo data on first start, before the app takes requests.</summary>
internal sealed class DemoDataInitializer(DataSourceCatalog catalog, IOptions<QueryAppOptions> options, ILogger<DemoDataInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        if (await DemoData.EnsureAsync(catalog.DemoPath, options.Value.DemoStudies, cancellationToken).ConfigureAwait(false))
        {
            logger.LogInformation("Created the demo data ({Studies} studies) in {Path} in {Elapsed:0} ms", options.Value.DemoStudies, catalog.DemoPath, watch.Elapsed.TotalMilliseconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
