using System.Globalization;
using System.Text.RegularExpressions;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>The interpreter's answer: what it understood, or why it will not answer (with the nearest things it knows).</summary>
/// <param name="Interpretation">The question as understood; null when refused.</param>
/// <param name="Refusal">One sentence saying what was not understood; null when understood.</param>
/// <param name="Corrections">Words read as another word ("contry" as "country"), shown with the interpretation.</param>
internal sealed record InterpretResult(Interpretation? Interpretation, string? Refusal, IReadOnlyList<string> Corrections)
{
    /// <summary>The words that made it refuse, as typed: what a user may teach the glossary.</summary>
    public IReadOnlyList<string> Unknown { get; init; } = [];

    public static InterpretResult Refuse(string why) => new(null, why, []);
}

/// <summary>
/// Reads a question against one data source's <see cref="SourceModel"/>: each word must be a column, a value, a glossary
/// term, a name for the rows, or a word of the question's grammar (a measure, a comparison, a time, a grouping, an order);
/// a word that is none of these means no SQL, and the answer says which word and what is close to it. Understood
/// questions become an explicit <see cref="Interpretation"/>, never SQL for some other question.
/// </summary>
internal sealed partial class Interpreter
{
    private const int DefaultListLimit = 100;
    private const int DefaultTop = 10;

    private readonly SourceModel _model;
    private readonly Dictionary<string, List<Phrase>> _byFirst = new(StringComparer.Ordinal);
    private readonly List<Phrase> _single = [];

    private sealed record Phrase(string[] Stems, PieceKind Kind, object? Payload, int Priority, string Text);

    public Interpreter(SourceModel model)
    {
        _model = model;
        var glossary = model.Glossary;
        foreach (var word in glossary.Entity.Words.Append(glossary.Entity.Singular).Append(glossary.Entity.Plural))
        {
            Add(word, PieceKind.Entity, null, 75);
        }

        var columnWords = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in model.Columns)
        {
            var names = new List<string> { column.Name.Replace('_', ' '), column.Label };
            if (glossary.Columns.TryGetValue(column.Name, out var synonyms))
            {
                names.AddRange(synonyms);
            }

            if (column.Derived is { } derived)
            {
                names.AddRange(derived.Words);
            }

            foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                Add(name, PieceKind.Column, column, 70);
                columnWords.UnionWith(Words.Split(name).Select(w => w.Stem));
            }
        }

        var keywordStems = new HashSet<string>(Lexicon.Keywords.SelectMany(k => Words.Split(k.Phrase)).Select(w => w.Stem), StringComparer.Ordinal);
        var entityStems = new HashSet<string>(glossary.Entity.Words.SelectMany(Words.Split).Select(w => w.Stem), StringComparer.Ordinal);
        var partial = new Dictionary<string, Dictionary<ModelColumn, List<string>>>(StringComparer.Ordinal);
        foreach (var column in model.Columns.Where(c => c.Values is not null))
        {
            foreach (var value in column.Values!)
            {
                Add(value, PieceKind.Value, new ValueMatch(column, [value], Partial: false), 80);
                foreach (var word in Words.Split(value).Where(w => w.Stem.Length >= 3 && !w.IsNumber && !Lexicon.StopWords.Contains(w.Text)
                    && !columnWords.Contains(w.Stem) && !keywordStems.Contains(w.Stem) && !entityStems.Contains(w.Stem)))
                {
                    var byColumn = partial.TryGetValue(word.Stem, out var found) ? found : partial[word.Stem] = [];
                    (byColumn.TryGetValue(column, out var values) ? values : byColumn[column] = []).Add(value);
                }
            }
        }

        foreach (var (stem, byColumn) in partial.Where(p => p.Value.Count == 1))
        {
            var (column, values) = byColumn.Single();
            if (values.Count < column.Values!.Count)
            {
                AddStems([stem], PieceKind.Value, new ValueMatch(column, values.Distinct().ToList(), Partial: true), 40, stem);
            }
        }

        foreach (var (phrase, term) in glossary.Terms)
        {
            Add(phrase, PieceKind.Term, term, 90);
        }

        foreach (var (phrase, kind, payload) in Lexicon.Keywords)
        {
            Add(phrase, kind, payload, 60);
        }

        foreach (var stop in Lexicon.StopWords)
        {
            Add(stop, PieceKind.Stop, null, 10);
        }
    }

    /// <summary>A value filter: one or more values of a column; partial when a word of the values, not a whole value, matched.</summary>
    internal sealed record ValueMatch(ModelColumn Column, IReadOnlyList<string> Values, bool Partial);

    private void Add(string phrase, PieceKind kind, object? payload, int priority)
    {
        var stems = Words.Split(phrase).Select(w => w.Stem).ToArray();
        if (stems.Length > 0)
        {
            AddStems(stems, kind, payload, priority, phrase);
        }
    }

    private void AddStems(string[] stems, PieceKind kind, object? payload, int priority, string text)
    {
        var phrase = new Phrase(stems, kind, payload, priority, text);
        (_byFirst.TryGetValue(stems[0], out var list) ? list : _byFirst[stems[0]] = []).Add(phrase);
        if (stems.Length == 1 && kind != PieceKind.Stop && stems[0].Length >= 4)
        {
            _single.Add(phrase);
        }
    }

    /// <summary>Interprets <paramref name="question"/>.</summary>
    public InterpretResult Interpret(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var words = Words.Split(question);
        if (words.Count == 0)
        {
            return InterpretResult.Refuse("Type a question first.");
        }

        if (words.Count > 60)
        {
            return InterpretResult.Refuse("That question is too long for the built-in generator; ask one thing at a time, in a sentence or two.");
        }

        var (pieces, unknown, corrections) = Match(words);
        if (unknown.Count > 0)
        {
            return InterpretResult.Refuse(Unknown(unknown)) with { Unknown = unknown.Select(w => w.Text).Distinct(StringComparer.Ordinal).ToList() };
        }

        var meaningful = pieces.Where(p => p.Kind != PieceKind.Stop).ToList();
        if (meaningful.Count == 0 || meaningful.All(p => p.Kind is PieceKind.List or PieceKind.And or PieceKind.Or or PieceKind.Has))
        {
            return InterpretResult.Refuse($"That is not a question about {_model.Glossary.Entity.Plural} I can answer; try one of the suggested questions.");
        }

        var result = new Assembly(this, meaningful).Build();
        return result with { Corrections = corrections };
    }

    // ---- Matching: each word to the longest phrase or pattern that starts there. ----

    private (List<Piece> Pieces, List<Word> Unknown, List<string> Corrections) Match(List<Word> words)
    {
        var pieces = new List<Piece>();
        var unknown = new List<Word>();
        var corrections = new List<string>();
        for (var i = 0; i < words.Count;)
        {
            var pattern = Patterns.Match(words, i);
            var (phrase, length, alternative) = Longest(words, i);
            if (pattern is not null && pattern.End - pattern.Start >= length)
            {
                pieces.Add(pattern with { Text = Text(words, pattern.Start, pattern.End) });
                i = pattern.End;
                continue;
            }

            if (phrase is not null)
            {
                var piece = new Piece(phrase.Kind, i, i + length, phrase.Payload) { Text = Text(words, i, i + length) };
                if (alternative is not null)
                {
                    piece = piece with { Alternative = new Piece(alternative.Kind, i, i + length, alternative.Payload) { Text = piece.Text } };
                }

                pieces.Add(piece);
                i += length;
                continue;
            }

            var word = words[i];
            if (word.Text.Contains('@', StringComparison.Ordinal))
            {
                pieces.Add(new Piece(PieceKind.Email, i, i + 1, word.Text) { Text = word.Original });
            }
            else if (word.IsNumber)
            {
                pieces.Add(new Piece(PieceKind.Number, i, i + 1, word.Number) { Text = word.Original });
            }
            else if (i > 0 && word.Text is "where")
            {
                // "studies where enrollment is over 100": the condition follows; at the start, "where" asks for a place.
                pieces.Add(new Piece(PieceKind.Stop, i, i + 1) { Text = word.Original });
            }
            else if (Fuzzy(word) is { } near)
            {
                pieces.Add(new Piece(near.Kind, i, i + 1, near.Payload) { Text = word.Original });
                corrections.Add($"read “{word.Original}” as “{near.Text}”");
            }
            else
            {
                unknown.Add(word);
            }

            i++;
        }

        return (pieces, unknown, corrections);
    }

    // The longest phrase starting at i (the highest priority among equals), and the best reading of another kind over the
    // same words ("completed": a status value, or the completion date).
    private (Phrase? Best, int Length, Phrase? Alternative) Longest(List<Word> words, int i)
    {
        var matching = new[] { words[i].Stem, words[i].Text }.Distinct()
            .SelectMany(key => _byFirst.TryGetValue(key, out var candidates) ? candidates : [])
            .Where(phrase => Matches(words, i, phrase.Stems))
            .Distinct()
            .ToList();
        if (matching.Count == 0)
        {
            return (null, 0, null);
        }

        var length = matching.Max(p => p.Stems.Length);
        var longest = matching.Where(p => p.Stems.Length == length).OrderByDescending(p => p.Priority).ToList();
        return (longest[0], length, longest.FirstOrDefault(p => p.Kind != longest[0].Kind && p.Kind != PieceKind.Stop));
    }

    private static bool Matches(List<Word> words, int start, string[] stems)
    {
        if (start + stems.Length > words.Count)
        {
            return false;
        }

        for (var k = 0; k < stems.Length; k++)
        {
            if (words[start + k].Stem != stems[k] && words[start + k].Text != stems[k])
            {
                return false;
            }
        }

        return true;
    }

    private Phrase? Fuzzy(Word word)
    {
        // Four-letter words may miss one letter of a five-letter name ("phse" for "phase"); shorter ones must be exact.
        var tolerance = word.Stem.Length == 4 ? 1 : Words.Tolerance(word.Stem);
        if (tolerance == 0 || !word.Text.All(char.IsLetter))
        {
            return null;
        }

        var scored = _single.Select(p => (Phrase: p, Distance: Words.Distance(word.Stem, p.Stems[0], tolerance)))
            .Where(s => s.Distance <= tolerance && Words.Tolerance(s.Phrase.Stems[0]) > 0
                && (word.Stem.Length > 4 || s.Phrase.Stems[0].Length == 5 && s.Phrase.Stems[0][0] == word.Stem[0] && s.Phrase.Kind != PieceKind.Value))
            .ToList();
        if (scored.Count == 0)
        {
            return null;
        }

        var least = scored.Min(s => s.Distance);
        var nearest = scored.Where(s => s.Distance == least).Select(s => s.Phrase).DistinctBy(p => (p.Kind, p.Stems[0])).ToList();
        return nearest.Count == 1 ? nearest[0] : null;
    }

    private static string Text(List<Word> words, int start, int end) => string.Join(" ", words.Skip(start).Take(end - start).Select(w => w.Original));

    // ---- Refusals that say what was not understood, and what is close. ----

    private string Unknown(List<Word> unknown)
    {
        var names = unknown.Select(w => $"“{w.Original}”").Distinct().ToList();
        var quoted = names.Count == 1 ? names[0] : $"{string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}";
        var near = unknown.SelectMany(w => Nearest(w.Stem)).Distinct().Take(4).ToList();
        var what = unknown.Count == 1 ? "it is not a column, a value or a term" : "they are not columns, values or terms";
        return near.Count > 0
            ? $"I did not understand {quoted}: {what} of {_model.Table}; did you mean {string.Join(", ", near)}?"
            : $"I did not understand {quoted}: {what} of {_model.Table}, whose columns are {string.Join(", ", _model.Columns.Where(c => c.Derived is null).Select(c => c.Name))}.";
    }

    private IEnumerable<string> Nearest(string stem)
    {
        var candidates = new List<(string Label, int Score)>();
        foreach (var column in _model.Columns)
        {
            candidates.Add((column.Label, Similarity(stem, column.Label)));
            foreach (var value in column.Values ?? [])
            {
                candidates.Add(($"{column.Label} “{value}”", Similarity(stem, value)));
            }
        }

        foreach (var term in _model.Glossary.Terms.Keys)
        {
            candidates.Add(($"“{term}”", Similarity(stem, term)));
        }

        return candidates.Where(c => c.Score > 0).OrderByDescending(c => c.Score).ThenBy(c => c.Label, StringComparer.Ordinal).Take(3).Select(c => c.Label);
    }

    // Close in spelling, or sharing a start of five letters (or the whole of a short word).
    private static int Similarity(string stem, string candidate)
    {
        var best = 0;
        foreach (var word in Words.Split(candidate))
        {
            var distance = Words.Distance(stem, word.Stem, 3);
            if (distance <= Math.Max(1, Words.Tolerance(stem)) && word.Stem.Length >= 3)
            {
                best = Math.Max(best, 10 - distance);
            }

            var prefix = 0;
            while (prefix < Math.Min(stem.Length, word.Stem.Length) && stem[prefix] == word.Stem[prefix])
            {
                prefix++;
            }

            if (prefix >= 5 || (prefix >= 4 && prefix == stem.Length))
            {
                best = Math.Max(best, prefix);
            }
        }

        return best;
    }

    internal SourceModel Model => _model;

    [GeneratedRegex(@"^(\d+)(st|nd|rd|th)$")]
    internal static partial Regex OrdinalWord();

    [GeneratedRegex(@"^p(\d{1,2})$")]
    internal static partial Regex PercentileWord();

    internal static int? Integer(double value) => value is >= 0 and <= int.MaxValue && value == Math.Floor(value) ? (int)value : null;

    internal static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
