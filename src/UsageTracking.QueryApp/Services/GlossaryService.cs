using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using UsageTracking.QueryApp.Data;
using UsageTracking.QueryApp.Generation.Interpreting;
using UsageTracking.Sql;

namespace UsageTracking.QueryApp.Services;

/// <summary>
/// The glossary as users see and teach it: a term the generator did not understand is taught as a column ("participants"
/// is enrollment) or as values of a column ("oncology" is condition = Lung Cancer, Breast Cancer, …), checked against what
/// the source holds. A taught term reads only its teacher's questions until an admin shares it (an admin's own terms are
/// shared as they are taught), the way saved examples are; terms written in the file read everyone's.
/// </summary>
public sealed partial class GlossaryService(
    DataSourceCatalog catalog, SourceModels models, IUsageTracker tracker, IOptions<QueryAppOptions> options, TimeProvider time, ILogger<GlossaryService> logger)
{
    private const int MaxValues = 50;
    private readonly QueryAppOptions _options = options.Value;

    /// <summary>The terms the user may see (an admin: all), and each column with its known values, for the teaching form.</summary>
    public async Task<GlossaryReply> ListAsync(UserSession session, string? sourceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var source = catalog.Get(sourceId);
        var admin = _options.IsAdmin(session.User);
        SourceModel model;
        try
        {
            (model, _) = await models.GetAsync(source, cancellationToken, session.User).ConfigureAwait(false);
        }
        catch (SqlQueryException ex)
        {
            return new GlossaryReply(source.Id, admin, [], [], ex.Message);
        }

        var terms = models.GlossaryFor(source).Terms
            .Where(t => admin || t.Value.AppliesTo(session.User))
            .OrderBy(t => t.Key, StringComparer.OrdinalIgnoreCase)
            .Select(t => new TermView(t.Key, Meaning(t.Value), t.Value.TaughtBy, t.Value.AppliesTo(null), Mine(t.Value, session.User)))
            .ToList();
        var columns = model.Columns.Where(c => c.Derived is null).Select(c => new ColumnView(c.Name, c.Values ?? [])).ToList();
        return new GlossaryReply(source.Id, admin, terms, columns, null);
    }

    /// <summary>Teaches a term; the reply says what it now means, or in one sentence why it was not taught.</summary>
    public async Task<TeachReply> TeachAsync(UserSession session, string? sourceId, string? term, string? column, IReadOnlyList<string>? values, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        var phrase = Regex.Replace(term ?? "", @"\s+", " ").Trim().ToLowerInvariant();
        if (phrase.Length is < 2 or > 60 || !TermText().IsMatch(phrase))
        {
            return TeachReply.No("A term is a word or a short phrase: letters, digits, spaces, hyphens or apostrophes, 2 to 60 characters.");
        }

        SourceModel model;
        try
        {
            (model, _) = await models.GetAsync(source, cancellationToken, session.User).ConfigureAwait(false);
        }
        catch (SqlQueryException ex)
        {
            return TeachReply.No(ex.Message);
        }

        var admin = _options.IsAdmin(session.User);
        var columns = model.Columns.Where(c => c.Derived is null).ToList();
        if (columns.FirstOrDefault(c => c.Name.Equals(phrase.Replace(' ', '_'), StringComparison.OrdinalIgnoreCase)) is { } same)
        {
            return TeachReply.No($"“{phrase}” is already the column {same.Name}.");
        }

        if (models.GlossaryFor(source).Terms.TryGetValue(phrase, out var existing) && !(admin || (Mine(existing, session.User) && !existing.AppliesTo(null))))
        {
            return TeachReply.No($"“{phrase}” already means {Meaning(existing)}; only an admin can change it.");
        }

        if (columns.FirstOrDefault(c => c.Name.Equals(column?.Trim(), StringComparison.OrdinalIgnoreCase)) is not { } target)
        {
            return TeachReply.No($"Choose the column “{phrase}” is about: one of {string.Join(", ", columns.Select(c => c.Name))}.");
        }

        var chosen = (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (chosen.Count > MaxValues)
        {
            return TeachReply.No($"A term can stand for at most {MaxValues} values.");
        }

        var known = new List<string>();
        if (chosen.Count > 0)
        {
            if (target.Values is not { Count: > 0 } index)
            {
                var listed = columns.Where(c => c.Values is { Count: > 0 }).Select(c => c.Name).ToList();
                return TeachReply.No($"{target.Name} has no short list of values to choose from; teach “{phrase}” as the column itself{(listed.Count > 0 ? $", or as values of {string.Join(", ", listed)}" : "")}.");
            }

            foreach (var value in chosen)
            {
                if (index.FirstOrDefault(v => v.Equals(value, StringComparison.OrdinalIgnoreCase)) is not { } match)
                {
                    return TeachReply.No($"“{value}” is not a value of {target.Name}; its values include {string.Join(", ", index.Take(6))}.");
                }

                known.Add(match);
            }
        }

        var taught = new GlossaryTerm
        {
            Column = target.Name,
            Values = known.Count > 0 ? known : null,
            TaughtBy = session.User,
            TaughtAt = time.GetUtcNow(),
            SharedBy = admin ? session.User : null,
        };
        if (Save(source, glossary => glossary with { Terms = With(glossary.Terms, phrase, taught) }) is { } failed)
        {
            return failed;
        }

        Track(session, watch, new()
        {
            ["source"] = source.Id, ["term"] = phrase, ["column"] = target.Name, ["values"] = string.Join(", ", known), ["shared"] = admin,
        });
        return new TeachReply(true, phrase, Meaning(taught), admin, null);
    }

    /// <summary>Shares a taught term with everyone; only an admin may.</summary>
    public TeachReply Share(UserSession session, string? sourceId, string? term)
    {
        ArgumentNullException.ThrowIfNull(session);
        var watch = Stopwatch.StartNew();
        var source = catalog.Get(sourceId);
        if (!_options.IsAdmin(session.User))
        {
            return TeachReply.No("Only an admin (QueryApp:Admins) can share a term with everyone.") with { Forbidden = true };
        }

        var phrase = (term ?? "").Trim().ToLowerInvariant();
        GlossaryTerm? shared = null;
        var failed = Save(source, glossary =>
        {
            if (!glossary.Terms.TryGetValue(phrase, out var found))
            {
                return glossary;
            }

            shared = found with { SharedBy = session.User };
            return glossary with { Terms = With(glossary.Terms, phrase, shared) };
        });
        if (failed is not null)
        {
            return failed;
        }

        if (shared is null)
        {
            return TeachReply.No($"“{phrase}” is not a term of this glossary file; refresh the list.");
        }

        Track(session, watch, new() { ["source"] = source.Id, ["term"] = phrase, ["shared"] = true, ["taught_by"] = shared.TaughtBy });
        return new TeachReply(true, phrase, Meaning(shared), true, null);
    }

    /// <summary>Removes a taught term: the teacher's own unshared term, or any term for an admin.</summary>
    public TeachReply Forget(UserSession session, string? sourceId, string? term)
    {
        ArgumentNullException.ThrowIfNull(session);
        var source = catalog.Get(sourceId);
        var phrase = (term ?? "").Trim().ToLowerInvariant();
        var admin = _options.IsAdmin(session.User);
        string? refused = null;
        var forbidden = false;
        var removed = false;
        var failed = Save(source, glossary =>
        {
            if (!glossary.Terms.TryGetValue(phrase, out var found))
            {
                refused = $"“{phrase}” is not a term of this glossary file; refresh the list.";
                return glossary;
            }

            if (!admin && !(Mine(found, session.User) && !found.AppliesTo(null)))
            {
                (refused, forbidden) = ("Only an admin can remove a term others use.", true);
                return glossary;
            }

            removed = true;
            return glossary with { Terms = glossary.Terms.Where(t => !t.Key.Equals(phrase, StringComparison.OrdinalIgnoreCase)).ToDictionary(t => t.Key, t => t.Value, StringComparer.OrdinalIgnoreCase) };
        });
        if (failed is not null)
        {
            return failed;
        }

        return removed ? new TeachReply(true, phrase, null, false, null) : TeachReply.No(refused!) with { Forbidden = forbidden };
    }

    /// <summary>What a term means, in the words the interpretation uses.</summary>
    internal static string Meaning(GlossaryTerm term)
    {
        var column = term.Column?.Replace('_', ' ');
        return term switch
        {
            { Values: { Count: 1 } one } => $"{column} is {one[0]}",
            { Values: { Count: > 1 } many } => $"{column} is one of {string.Join(", ", many)}",
            { Errors: true } => "errors",
            { Measures.Count: > 0 } => string.Join(", ", term.Measures.Select(m => m.Column is null ? m.Kind.ToString().ToLowerInvariant() : $"{m.Kind.ToString().ToLowerInvariant()} of {m.Column.Replace('_', ' ')}")),
            { GroupBy: { } by } => $"by {by.Replace('_', ' ')}",
            { Bucket: { } bucket } => $"per {bucket.ToString().ToLowerInvariant()}",
            _ => $"the column {column}",
        };
    }

    // Null when saved; otherwise the reply saying it was not, with the file as it was.
    private TeachReply? Save(IDataSource source, Func<Glossary, Glossary> change)
    {
        try
        {
            models.UpdateFile(source, change);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Log.SaveFailed(logger, source.Id, ex);
            return TeachReply.No(ex is InvalidOperationException
                ? ex.Message
                : "The glossary could not be saved (the disk is full or not writable); nothing was changed.") with { ServerFault = true };
        }
    }

    private static bool Mine(GlossaryTerm term, string user) => term.TaughtBy is not null && string.Equals(term.TaughtBy, user, StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, GlossaryTerm> With(IReadOnlyDictionary<string, GlossaryTerm> terms, string phrase, GlossaryTerm term) =>
        new(terms, StringComparer.OrdinalIgnoreCase) { [phrase] = term };

    private void Track(UserSession session, Stopwatch watch, Dictionary<string, object?> properties) =>
        tracker.TrackUserAction(session.User, Actions.TeachTerm, session.SessionId, watch.Elapsed.TotalMilliseconds, properties);

    [GeneratedRegex(@"^[\p{L}\p{N}][\p{L}\p{N} '\-]*$")]
    private static partial Regex TermText();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "The glossary of {Source} could not be saved")]
        public static partial void SaveFailed(ILogger logger, string source, Exception exception);
    }
}

/// <summary>A glossary term as the app shows it.</summary>
public sealed record TermView(string Term, string Meaning, string? TaughtBy, bool Shared, bool Mine);

/// <summary>A column and the values a term may stand for (empty: no short list).</summary>
public sealed record ColumnView(string Name, IReadOnlyList<string> Values);

/// <summary>A source's glossary for the teaching form, or why it could not be read.</summary>
public sealed record GlossaryReply(string Source, bool IsAdmin, IReadOnlyList<TermView> Terms, IReadOnlyList<ColumnView> Columns, string? Error);

/// <summary>Whether a term was taught (shared, removed), what it means now, or why not (<see cref="Forbidden"/>: not allowed).</summary>
public sealed record TeachReply(bool Done, string? Term, string? Meaning, bool Shared, string? Error)
{
    /// <summary>The user may not do this (not an admin).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Forbidden { get; init; }

    /// <summary>The app failed (its disk), not the request.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ServerFault { get; init; }

    internal static TeachReply No(string error) => new(false, null, null, false, error);
}
