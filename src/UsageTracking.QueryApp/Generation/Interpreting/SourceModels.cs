using System.Collections.Concurrent;
using UsageTracking.QueryApp.Data;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>
/// The learned model of each data source, built on first use and again after <see cref="RefreshInterval"/> (values come
/// and go), with its glossary: the one shipped for the source's domain, and the file beside the saved examples, whose
/// taught terms read only their teacher's questions until an admin shares them.
/// </summary>
public sealed class SourceModels(string? glossaryDirectory = null, TimeProvider? time = null)
{
    /// <summary>How long a learned model is used before it is learned again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Lazy<Task<Learned>>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Source, string User), (Learned From, Interpreter Interpreter)> _personal = new();
    private readonly Lock _fileLock = new();

    private sealed record Learned(SourceModel Model, Interpreter Interpreter, Glossary Glossary, DateTimeOffset At);

    /// <summary>The glossary file of a source (null when the app keeps no files).</summary>
    public string? GlossaryPath(string sourceId) => glossaryDirectory is null ? null : Path.Combine(glossaryDirectory, $"glossary-{sourceId}.json");

    /// <summary>The source's model and an interpreter reading with the terms <paramref name="user"/> may use.</summary>
    internal async Task<(SourceModel Model, Interpreter Interpreter)> GetAsync(IDataSource source, CancellationToken cancellationToken, string? user = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var entry = _models.GetOrAdd(source.Id, _ => Learn(source));
        Learned learned;
        try
        {
            learned = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A source that could not be read is tried again on the next question, not remembered as broken.
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<Learned>>>(source.Id, entry));
            throw;
        }

        if (_time.GetUtcNow() - learned.At > RefreshInterval)
        {
            _models.TryUpdate(source.Id, Learn(source), entry);
        }

        if (!learned.Glossary.HasOwnTerms(user))
        {
            return (learned.Model, learned.Interpreter);
        }

        var key = (source.Id, user!.ToUpperInvariant());
        if (!_personal.TryGetValue(key, out var personal) || !ReferenceEquals(personal.From, learned))
        {
            personal = (learned, new Interpreter(learned.Model.With(learned.Glossary.For(user))));
            _personal[key] = personal;
        }

        return (personal.Interpreter.Model, personal.Interpreter);
    }

    /// <summary>Forgets what was learned of a source (after its glossary changed).</summary>
    public void Invalidate(string sourceId)
    {
        _models.TryRemove(sourceId, out _);
        foreach (var key in _personal.Keys.Where(k => k.Source == sourceId))
        {
            _personal.TryRemove(key, out _);
        }
    }

    /// <summary>The source's whole glossary: the shipped one with the file's entries laid over it.</summary>
    internal Glossary GlossaryFor(IDataSource source) =>
        Glossary.ForDomain(source.Domain).With(GlossaryPath(source.Id) is { } path ? Glossary.Read(path) : null);

    /// <summary>Changes the source's glossary file (created on first use) and forgets the model read with the old one.</summary>
    internal void UpdateFile(IDataSource source, Func<Glossary, Glossary> change)
    {
        var path = GlossaryPath(source.Id) ?? throw new InvalidOperationException("This app keeps no files, so it cannot keep a glossary (QueryApp:DataDirectory).");
        lock (_fileLock)
        {
            change(Glossary.Read(path) ?? new Glossary()).Write(path);
        }

        Invalidate(source.Id);
    }

    private Lazy<Task<Learned>> Learn(IDataSource source) => new(async () =>
    {
        var glossary = GlossaryFor(source);
        var model = await SourceModel.LearnAsync(source, glossary.For(null), CancellationToken.None).ConfigureAwait(false);
        return new Learned(model, new Interpreter(model), glossary, _time.GetUtcNow());
    });
}
