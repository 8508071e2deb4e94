using System.Collections.Concurrent;
using UsageTracking.QueryApp.Data;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>
/// The learned model of each data source, built on first use and again after <see cref="RefreshInterval"/> (values come
/// and go), with its glossary: the one shipped for the source's domain, and the file beside the saved examples.
/// </summary>
public sealed class SourceModels(string? glossaryDirectory = null, TimeProvider? time = null)
{
    /// <summary>How long a learned model is used before it is learned again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Lazy<Task<(SourceModel Model, Interpreter Interpreter, DateTimeOffset At)>>> _models = new(StringComparer.Ordinal);

    /// <summary>The glossary file of a source (null when the app keeps no files).</summary>
    public string? GlossaryPath(string sourceId) => glossaryDirectory is null ? null : Path.Combine(glossaryDirectory, $"glossary-{sourceId}.json");

    internal async Task<(SourceModel Model, Interpreter Interpreter)> GetAsync(IDataSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var entry = _models.GetOrAdd(source.Id, _ => Learn(source));
        (SourceModel Model, Interpreter Interpreter, DateTimeOffset At) learned;
        try
        {
            learned = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A source that could not be read is tried again on the next question, not remembered as broken.
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<(SourceModel, Interpreter, DateTimeOffset)>>>(source.Id, entry));
            throw;
        }

        if (_time.GetUtcNow() - learned.At > RefreshInterval)
        {
            _models.TryUpdate(source.Id, Learn(source), entry);
        }

        return (learned.Model, learned.Interpreter);
    }

    /// <summary>Forgets what was learned of a source (after its glossary changed).</summary>
    public void Invalidate(string sourceId) => _models.TryRemove(sourceId, out _);

    /// <summary>The source's glossary: the shipped one with the file's entries laid over it.</summary>
    internal Glossary GlossaryFor(IDataSource source) =>
        Glossary.ForDomain(source.Domain).With(GlossaryPath(source.Id) is { } path ? Glossary.Read(path) : null);

    private Lazy<Task<(SourceModel, Interpreter, DateTimeOffset)>> Learn(IDataSource source) => new(async () =>
    {
        var model = await SourceModel.LearnAsync(source, GlossaryFor(source), CancellationToken.None).ConfigureAwait(false);
        return (model, new Interpreter(model), _time.GetUtcNow());
    });
}
