namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>What a recognised span of words means.</summary>
internal enum PieceKind
{
    Stop,
    Entity,
    Value,
    Column,
    Term,
    Measure,
    Superlative,
    Share,
    Group,
    BucketWord,
    Bucket,
    Negation,
    Missing,
    Has,
    List,
    And,
    Or,
    Comparator,
    Date,
    AnyTime,
    Email,
    Number,
}

/// <summary>A superlative: which way it orders, what it ranks by when the question does not say, and the measure it is alone.</summary>
/// <param name="Descending">Largest or newest first.</param>
/// <param name="Target">What is ranked: <c>count</c>, <c>size</c>, <c>date</c>, or <c>any</c> (the measure or column named).</param>
/// <param name="Alone">The measure "highest enrollment" means when nothing is ranked.</param>
/// <param name="N">How many, when the words say ("top 5", "3 largest").</param>
/// <param name="Neutral">It gives a count but no direction of its own: "which 12" before "fewest" ranks the fewest.</param>
internal sealed record Superlative(bool Descending, string Target, MeasureKind? Alone, int? N = null, bool Neutral = false);

/// <summary>A comparison with numbers ("more than 1000", "between 100 and 500").</summary>
internal sealed record Comparison(FilterOp Op, double? Low, double? High);

/// <summary>A span of words and what it means; <see cref="Alternative"/> is a second reading the context may prefer.</summary>
internal sealed record Piece(PieceKind Kind, int Start, int End, object? Payload = null)
{
    public Piece? Alternative { get; init; }

    /// <summary>The words it covers, as typed.</summary>
    public string Text { get; init; } = "";
}

/// <summary>
/// The fixed words of questions: measures, superlatives, groupings, negations, time, and the words that carry no meaning
/// of their own. Column names, values, glossary terms and the source's names for its rows are added per source.
/// </summary>
internal static class Lexicon
{
    public static readonly (string Phrase, PieceKind Kind, object? Payload)[] Keywords =
    [
        ("how many", PieceKind.Measure, MeasureKind.Count), ("number of", PieceKind.Measure, MeasureKind.Count),
        ("count", PieceKind.Measure, MeasureKind.Count), ("count of", PieceKind.Measure, MeasureKind.Count),
        ("total number of", PieceKind.Measure, MeasureKind.Count), ("amount of", PieceKind.Measure, MeasureKind.Count),
        ("how much", PieceKind.Measure, MeasureKind.Sum), ("how often", PieceKind.Measure, MeasureKind.Count),
        ("average", PieceKind.Measure, MeasureKind.Average), ("avg", PieceKind.Measure, MeasureKind.Average),
        ("mean", PieceKind.Measure, MeasureKind.Average), ("typical", PieceKind.Measure, MeasureKind.Average),
        ("total", PieceKind.Measure, MeasureKind.Sum), ("sum", PieceKind.Measure, MeasureKind.Sum), ("sum of", PieceKind.Measure, MeasureKind.Sum),
        ("combined", PieceKind.Measure, MeasureKind.Sum),
        ("median", PieceKind.Measure, MeasureKind.Median),
        ("minimum", PieceKind.Measure, MeasureKind.Minimum), ("min", PieceKind.Measure, MeasureKind.Minimum),
        ("maximum", PieceKind.Measure, MeasureKind.Maximum), ("max", PieceKind.Measure, MeasureKind.Maximum),
        ("distinct", PieceKind.Measure, MeasureKind.CountDistinct), ("unique", PieceKind.Measure, MeasureKind.CountDistinct),
        ("different", PieceKind.Measure, MeasureKind.CountDistinct),

        ("highest", PieceKind.Superlative, new Superlative(true, "any", MeasureKind.Maximum)),
        ("largest", PieceKind.Superlative, new Superlative(true, "size", MeasureKind.Maximum)),
        ("biggest", PieceKind.Superlative, new Superlative(true, "size", MeasureKind.Maximum)),
        ("greatest", PieceKind.Superlative, new Superlative(true, "any", MeasureKind.Maximum)),
        ("most", PieceKind.Superlative, new Superlative(true, "count", MeasureKind.Maximum)),
        ("the most", PieceKind.Superlative, new Superlative(true, "count", MeasureKind.Maximum)),
        ("lowest", PieceKind.Superlative, new Superlative(false, "any", MeasureKind.Minimum)),
        ("smallest", PieceKind.Superlative, new Superlative(false, "size", MeasureKind.Minimum)),
        ("least", PieceKind.Superlative, new Superlative(false, "count", MeasureKind.Minimum)),
        ("fewest", PieceKind.Superlative, new Superlative(false, "count", MeasureKind.Minimum)),
        ("top", PieceKind.Superlative, new Superlative(true, "any", null)),
        ("bottom", PieceKind.Superlative, new Superlative(false, "any", null)),
        ("newest", PieceKind.Superlative, new Superlative(true, "date", MeasureKind.Maximum)),
        ("latest", PieceKind.Superlative, new Superlative(true, "date", MeasureKind.Maximum)),
        ("most recent", PieceKind.Superlative, new Superlative(true, "date", MeasureKind.Maximum)),
        ("recent", PieceKind.Superlative, new Superlative(true, "date", null)),
        ("oldest", PieceKind.Superlative, new Superlative(false, "date", MeasureKind.Minimum)),
        ("slowest", PieceKind.Superlative, new Superlative(true, "size", MeasureKind.Maximum)),
        ("fastest", PieceKind.Superlative, new Superlative(false, "size", MeasureKind.Minimum)),
        ("quickest", PieceKind.Superlative, new Superlative(false, "size", MeasureKind.Minimum)),
        ("earliest", PieceKind.Superlative, new Superlative(false, "date", MeasureKind.Minimum)),
        ("most common", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("most often", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("most frequent", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("most popular", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("most used", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("popular", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("common", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("frequent", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("commonest", PieceKind.Superlative, new Superlative(true, "count", null)),
        ("least common", PieceKind.Superlative, new Superlative(false, "count", null)),
        ("rarest", PieceKind.Superlative, new Superlative(false, "count", null)),
        ("ranked by", PieceKind.Superlative, new Superlative(true, "any", null)),
        ("rank by", PieceKind.Superlative, new Superlative(true, "any", null)),
        ("sorted by", PieceKind.Superlative, new Superlative(false, "any", null)),
        ("sort by", PieceKind.Superlative, new Superlative(false, "any", null)),
        ("ordered by", PieceKind.Superlative, new Superlative(false, "any", null)),
        ("order by", PieceKind.Superlative, new Superlative(false, "any", null)),

        ("share", PieceKind.Share, null), ("percentage", PieceKind.Share, null), ("percent", PieceKind.Share, null),
        ("rate", PieceKind.Share, "rate"), ("proportion", PieceKind.Share, null), ("fraction", PieceKind.Share, null), ("what portion", PieceKind.Share, null),

        ("by", PieceKind.Group, null), ("per", PieceKind.Group, null), ("for each", PieceKind.Group, null), ("each", PieceKind.Group, null),
        ("every", PieceKind.Group, null), ("across", PieceKind.Group, null), ("broken down by", PieceKind.Group, null),
        ("break down by", PieceKind.Group, null), ("breakdown by", PieceKind.Group, null), ("breakdown", PieceKind.Group, null),
        ("split by", PieceKind.Group, null), ("grouped by", PieceKind.Group, null), ("group by", PieceKind.Group, null),
        ("in each", PieceKind.Group, null), ("for every", PieceKind.Group, null), ("according to", PieceKind.Group, null),

        ("year", PieceKind.BucketWord, Bucket.Year), ("quarter", PieceKind.BucketWord, Bucket.Quarter), ("month", PieceKind.BucketWord, Bucket.Month),
        ("week", PieceKind.BucketWord, Bucket.Week), ("day", PieceKind.BucketWord, Bucket.Day), ("date", PieceKind.BucketWord, Bucket.Day),
        ("hour", PieceKind.BucketWord, Bucket.Hour),
        ("yearly", PieceKind.Bucket, Bucket.Year), ("annually", PieceKind.Bucket, Bucket.Year), ("annual", PieceKind.Bucket, Bucket.Year),
        ("quarterly", PieceKind.Bucket, Bucket.Quarter), ("monthly", PieceKind.Bucket, Bucket.Month), ("weekly", PieceKind.Bucket, Bucket.Week),
        ("daily", PieceKind.Bucket, Bucket.Day), ("hourly", PieceKind.Bucket, Bucket.Hour),
        ("over time", PieceKind.Bucket, null), ("trend", PieceKind.Bucket, null), ("timeline", PieceKind.Bucket, null),

        ("not", PieceKind.Negation, null), ("non", PieceKind.Negation, null), ("excluding", PieceKind.Negation, null),
        ("exclude", PieceKind.Negation, null), ("except", PieceKind.Negation, null), ("except for", PieceKind.Negation, null),
        ("other than", PieceKind.Negation, null), ("apart from", PieceKind.Negation, null), ("isnt", PieceKind.Negation, null),
        ("arent", PieceKind.Negation, null), ("wasnt", PieceKind.Negation, null), ("werent", PieceKind.Negation, null),
        ("outside", PieceKind.Negation, null), ("outside of", PieceKind.Negation, null), ("dont", PieceKind.Negation, null),
        ("doesnt", PieceKind.Negation, null), ("didnt", PieceKind.Negation, null), ("hasnt", PieceKind.Negation, null),
        ("havent", PieceKind.Negation, null), ("hadnt", PieceKind.Negation, null),
        ("in total", PieceKind.Stop, null), ("in all", PieceKind.Stop, null),

        ("missing", PieceKind.Missing, null), ("unknown", PieceKind.Missing, null), ("no", PieceKind.Missing, null),
        ("without", PieceKind.Missing, null), ("null", PieceKind.Missing, null), ("empty", PieceKind.Missing, null),
        ("blank", PieceKind.Missing, null), ("not set", PieceKind.Missing, null), ("lacking", PieceKind.Missing, null),
        ("with", PieceKind.Has, null), ("has", PieceKind.Has, null), ("have", PieceKind.Has, null), ("having", PieceKind.Has, null),
        ("had", PieceKind.Has, null), ("got", PieceKind.Has, null), ("ran", PieceKind.Has, null), ("conducted", PieceKind.Has, null),
        ("conduct", PieceKind.Has, null), ("runs", PieceKind.Has, null),

        ("list", PieceKind.List, null), ("show", PieceKind.List, null), ("display", PieceKind.List, null), ("give", PieceKind.List, null),
        ("find", PieceKind.List, null), ("get", PieceKind.List, null), ("which", PieceKind.List, null), ("what are", PieceKind.List, null),
        ("see", PieceKind.List, null), ("view", PieceKind.List, null), ("return", PieceKind.List, null), ("fetch", PieceKind.List, null),
        ("pull", PieceKind.List, null), ("print", PieceKind.List, null), ("name", PieceKind.List, null), ("enumerate", PieceKind.List, null),
        ("what", PieceKind.List, null), ("who", PieceKind.List, null), ("look up", PieceKind.List, null),

        ("and", PieceKind.And, null), ("plus", PieceKind.And, null), ("as well as", PieceKind.And, null), ("or", PieceKind.Or, null),
        ("all time", PieceKind.AnyTime, null), ("ever", PieceKind.AnyTime, null), ("of all time", PieceKind.AnyTime, null),
    ];

    /// <summary>Words that carry no meaning of their own here (articles, auxiliaries, polite and filler verbs).</summary>
    public static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "of", "in", "on", "at", "for", "to", "from", "is", "are", "was", "were", "be", "been", "being", "there",
        "do", "does", "did", "that", "whose", "me", "please", "i", "we", "you", "my", "our", "your", "it", "its", "this", "these",
        "those", "all", "any", "some", "so", "far", "currently", "now", "right", "can", "could", "would", "should", "will", "tell",
        "about", "regarding", "concerning", "related", "like", "as", "also", "just", "only", "overall", "altogether", "together",
        "data", "dataset", "table", "database", "value", "values", "result", "results", "kind", "kinds", "thanks", "thank", "kindly",
        "conducted", "run", "running", "held", "located", "based", "registered", "performed", "done", "carried", "out", "taking",
        "place", "happening", "exist", "exists", "existing", "available", "recorded", "involving", "involve", "involved", "studying",
        "investigating", "targeting", "testing", "tested", "treating", "focused", "focusing", "into", "among", "within",
        "they", "them", "their", "how", "up", "much", "many", "than", "then", "let", "know", "need", "want",
        "wanted", "shown", "seen", "given", "made", "make", "happened", "occurred", "took", "recorded", "logged",
        "actually", "really", "exactly", "roughly", "approximately", "about", "around", "including", "include", "includes",
        "separately", "respectively", "individually", "broken", "down", "versus", "vs", "compared", "currently", "presently", "here",
        "studied", "use", "used", "uses", "using", "work", "works", "working", "worked", "yet", "still", "already", "take", "takes", "took", "last", "lasted", "lasts", "will", "going", "expected",
    };
}
