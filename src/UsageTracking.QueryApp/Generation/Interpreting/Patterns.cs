namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>A percentile asked for ("90th percentile", "p95").</summary>
internal sealed record PercentileSpec(double Percentile);

/// <summary>
/// Word patterns with numbers in them: comparisons ("more than 1000", "between 100 and 500"), times ("in 2020", "since
/// March 2021", "in the last 7 days", "this month"), ranks ("top 5", "3 largest") and percentiles ("90th percentile").
/// A template is a sequence of literal words and slots: <c>#</c> a number, <c>$y</c> a year, <c>$m</c> a month, <c>$u</c> a
/// unit of time, <c>$o</c> an ordinal.
/// </summary>
internal static class Patterns
{
    private sealed record Template(string[] Tokens, PieceKind Kind, Func<Captures, object?> Payload);

    private sealed class Captures
    {
        public List<double> Numbers { get; } = [];
        public List<int> Years { get; } = [];
        public List<int> Months { get; } = [];
        public List<double> UnitDays { get; } = [];
        public List<double> Ordinals { get; } = [];

        public int Year => Years[0];
    }

    private static readonly Dictionary<string, int> MonthNames = new(StringComparer.Ordinal)
    {
        ["january"] = 1, ["jan"] = 1, ["february"] = 2, ["feb"] = 2, ["march"] = 3, ["mar"] = 3, ["april"] = 4, ["apr"] = 4, ["may"] = 5,
        ["june"] = 6, ["jun"] = 6, ["july"] = 7, ["jul"] = 7, ["august"] = 8, ["aug"] = 8, ["september"] = 9, ["sep"] = 9, ["sept"] = 9,
        ["october"] = 10, ["oct"] = 10, ["november"] = 11, ["nov"] = 11, ["december"] = 12, ["dec"] = 12,
    };

    private static readonly Dictionary<string, double> UnitDays = new(StringComparer.Ordinal)
    {
        ["hour"] = 1.0 / 24, ["day"] = 1, ["week"] = 7, ["month"] = 30, ["quarter"] = 91, ["year"] = 365,
    };

    private static readonly List<Template> Templates = Build();

    private static List<Template> Build()
    {
        var templates = new List<Template>();
        void Add(PieceKind kind, Func<Captures, object?> payload, params string[] forms)
        {
            foreach (var form in forms)
            {
                templates.Add(new Template(form.Split(' '), kind, payload));
            }
        }

        Comparison Compare(FilterOp op, Captures c) => op switch
        {
            FilterOp.Between => new Comparison(op, Math.Min(c.Numbers[0], c.Numbers[1]), Math.Max(c.Numbers[0], c.Numbers[1])),
            FilterOp.Less or FilterOp.LessOrEqual => new Comparison(op, null, c.Numbers[0]),
            _ => new Comparison(op, c.Numbers[0], null),
        };

        Add(PieceKind.Comparator, c => Compare(FilterOp.Between, c), "between # and #", "from # to #");
        Add(PieceKind.Comparator, c => Compare(FilterOp.GreaterOrEqual, c),
            "at least #", "no less than #", "no fewer than #", "a minimum of #", "minimum of #", "# or more", "# and above", "# and over", "# or above", "# plus");
        Add(PieceKind.Comparator, c => Compare(FilterOp.Greater, c),
            "more than #", "over #", "above #", "greater than #", "larger than #", "bigger than #", "higher than #", "exceeding #", "exceeds #",
            "in excess of #", "upwards of #");
        Add(PieceKind.Comparator, c => Compare(FilterOp.LessOrEqual, c),
            "at most #", "no more than #", "up to #", "# or less", "# or fewer", "a maximum of #", "maximum of #", "# and below", "# and under", "# or under");
        Add(PieceKind.Comparator, c => Compare(FilterOp.Less, c),
            "fewer than #", "less than #", "under #", "below #", "smaller than #", "lower than #");
        Add(PieceKind.Comparator, c => Compare(FilterOp.Equal, c), "exactly #", "equal to #", "equals #");

        DateSpan YearSpan(int from, int until) => new(new DateOnly(from, 1, 1), new DateOnly(until, 1, 1));
        DateSpan Month(Captures c) => new(new DateOnly(c.Year, c.Months[0], 1), new DateOnly(c.Year, c.Months[0], 1).AddMonths(1));
        Add(PieceKind.Date, c => YearSpan(Math.Min(c.Years[0], c.Years[1]), Math.Max(c.Years[0], c.Years[1]) + 1),
            "between $y and $y", "from $y to $y", "from $y until $y", "from $y through $y", "$y to $y", "$y through $y", "$y until $y");
        Add(PieceKind.Date, Month, "in $m $y", "during $m $y", "in $m of $y", "$m $y", "for $m $y");
        Add(PieceKind.Date, c => new DateSpan(new DateOnly(c.Year, c.Months[0], 1)), "since $m $y", "after $m $y");
        Add(PieceKind.Date, c => new DateSpan(null, new DateOnly(c.Year, c.Months[0], 1)), "before $m $y");
        Add(PieceKind.Date, c => new DateSpan(new DateOnly(c.Year, 1, 1)),
            "since $y", "from $y onwards", "from $y on", "from $y", "starting in $y", "starting $y", "$y or later", "$y onwards", "$y and later",
            "in $y or later", "in or after $y");
        Add(PieceKind.Date, c => new DateSpan(new DateOnly(c.Year + 1, 1, 1)), "after $y", "later than $y", "beyond $y");
        Add(PieceKind.Date, c => new DateSpan(null, new DateOnly(c.Year, 1, 1)), "before $y", "prior to $y", "earlier than $y");
        Add(PieceKind.Date, c => new DateSpan(null, new DateOnly(c.Year + 1, 1, 1)), "until $y", "up to $y", "through $y", "in $y or earlier", "$y or earlier", "in or before $y");
        Add(PieceKind.Date, c => YearSpan(c.Year, c.Year + 1), "in $y", "during $y", "for $y", "of $y", "in the year $y", "$y");

        Add(PieceKind.Date, _ => new DateSpan(LastDays: 1), "today", "so far today", "in the last 24 hours", "last 24 hours", "past 24 hours", "in the past 24 hours");
        Add(PieceKind.Date, _ => new DateSpan(Yesterday: true), "yesterday");
        Add(PieceKind.Date, c => c.UnitDays[0] <= 1 ? new DateSpan(LastDays: 1) : new DateSpan(ThisPeriod: c.UnitDays[0] switch { 7 => Bucket.Week, 30 => Bucket.Month, 91 => Bucket.Quarter, _ => Bucket.Year }),
            "this $u", "so far this $u", "the current $u", "current $u");
        // "last year" is the calendar year before this one; "in the last year", "the past year" are the last 365 days.
        Add(PieceKind.Date, c => c.UnitDays[0] < 1 ? new DateSpan(LastDays: 1) : c.UnitDays[0] == 1 ? new DateSpan(Yesterday: true) : new DateSpan(PreviousPeriod: c.UnitDays[0] switch { 7 => Bucket.Week, 30 => Bucket.Month, 91 => Bucket.Quarter, _ => Bucket.Year }),
            "last $u", "previous $u", "the previous $u", "during the previous $u", "in the previous $u");
        Add(PieceKind.Date, c => new DateSpan(LastDays: Math.Max(1, (int)Math.Ceiling(c.Numbers[0] * c.UnitDays[0]))),
            "in the last # $u", "in the past # $u", "over the last # $u", "over the past # $u", "during the last # $u", "within the last # $u",
            "the last # $u", "the past # $u", "last # $u", "past # $u", "in last # $u", "previous # $u", "the previous # $u");
        Add(PieceKind.Date, c => new DateSpan(LastDays: Math.Max(1, (int)Math.Ceiling(c.UnitDays[0]))),
            "in the last $u", "in the past $u", "over the last $u", "over the past $u", "during the last $u", "within the last $u",
            "the last $u", "the past $u", "past $u");

        foreach (var (word, descending, target) in new[]
                 {
                     ("largest", true, "size"), ("biggest", true, "size"), ("highest", true, "any"), ("most", true, "count"), ("smallest", false, "size"),
                     ("lowest", false, "any"), ("least", false, "count"), ("fewest", false, "count"), ("newest", true, "date"), ("latest", true, "date"),
                     ("oldest", false, "date"), ("earliest", false, "date"), ("most recent", true, "date"), ("most common", true, "count"),
                     ("most popular", true, "count"), ("most frequent", true, "count"), ("most active", true, "count"), ("busiest", true, "count"),
                 })
        {
            Add(PieceKind.Superlative, c => new Superlative(descending, target, null, (int)c.Numbers[0]), $"# {word}", $"{word} #", $"top # {word}");
        }

        Add(PieceKind.Superlative, c => new Superlative(true, "any", null, (int)c.Numbers[0], Neutral: true), "top #", "which #", "what #", "the top #");
        Add(PieceKind.Superlative, c => new Superlative(false, "any", null, (int)c.Numbers[0]), "bottom #");
        Add(PieceKind.Superlative, c => new Superlative(false, "limit", null, (int)c.Numbers[0]), "first #", "any #", "some #", "sample of #", "a sample of #");
        Add(PieceKind.Measure, c => new PercentileSpec(c.Ordinals[0]), "$o percentile of", "$o percentile", "percentile $o of", "percentile $o");
        return templates;
    }

    /// <summary>The longest pattern that starts at <paramref name="start"/>, or null.</summary>
    public static Piece? Match(List<Word> words, int start)
    {
        Piece? best = null;
        foreach (var template in Templates)
        {
            if (best is not null && template.Tokens.Length <= best.End - best.Start)
            {
                continue;
            }

            var captures = new Captures();
            if (TryMatch(words, start, template.Tokens, captures) && Valid(template, captures))
            {
                best = new Piece(template.Kind, start, start + template.Tokens.Length, template.Payload(captures));
            }
        }

        // "p90" on its own.
        if (best is null && Interpreter.PercentileWord().Match(words[start].Text) is { Success: true } p)
        {
            best = new Piece(PieceKind.Measure, start, start + 1, new PercentileSpec(double.Parse(p.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        return best;
    }

    private static bool Valid(Template template, Captures captures) =>
        captures.Numbers.All(n => n is >= 0 and < 1e12)
        && captures.Ordinals.All(o => o is > 0 and < 100)
        && (template.Kind != PieceKind.Superlative || captures.Numbers.All(n => n is >= 1 and <= 10_000 && n == Math.Floor(n)));

    private static bool TryMatch(List<Word> words, int start, string[] tokens, Captures captures)
    {
        if (start + tokens.Length > words.Count)
        {
            return false;
        }

        for (var k = 0; k < tokens.Length; k++)
        {
            var word = words[start + k];
            switch (tokens[k])
            {
                case "#":
                    if (!word.IsNumber)
                    {
                        return false;
                    }

                    captures.Numbers.Add(word.Number);
                    break;
                case "$y":
                    if (!IsYear(word))
                    {
                        return false;
                    }

                    captures.Years.Add((int)word.Number);
                    break;
                case "$m":
                    if (!MonthNames.TryGetValue(word.Text, out var month))
                    {
                        return false;
                    }

                    captures.Months.Add(month);
                    break;
                case "$u":
                    if (!UnitDays.TryGetValue(word.Stem, out var days))
                    {
                        return false;
                    }

                    captures.UnitDays.Add(days);
                    break;
                case "$o":
                    if (Interpreter.OrdinalWord().Match(word.Text) is not { Success: true } ordinal)
                    {
                        return false;
                    }

                    captures.Ordinals.Add(double.Parse(ordinal.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    if (word.Text != tokens[k] && word.Stem != tokens[k])
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    private static bool IsYear(Word word) => word.IsNumber && word.Number is >= 1900 and <= 2100 && word.Number == Math.Floor(word.Number) && word.Text.Length == 4;
}
