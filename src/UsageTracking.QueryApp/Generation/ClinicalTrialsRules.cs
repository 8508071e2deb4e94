using System.Text;
using System.Text.RegularExpressions;
using UsageTracking.QueryApp.Data;

namespace UsageTracking.QueryApp.Generation;

/// <summary>
/// Deterministic question → SQL for the demo clinical-trials table: filters (phase, status, condition, sponsor,
/// country, start year), a breakdown (by phase, status, condition, sponsor, country, year, month), a measure (count,
/// average or total enrollment, duration) and list / top-N forms. Values come only from the table's known
/// vocabulary, never from the question's free text.
/// </summary>
internal static partial class ClinicalTrialsRules
{
    private sealed record Dimension(string Name, string Expression, string Alias, bool Ordered);

    private static readonly Dimension[] Dimensions =
    [
        new("phase", "phase", "phase", true),
        new("status", "status", "status", false),
        new("condition", "condition", "condition", false),
        new("sponsor", "sponsor", "sponsor", false),
        new("country", "country", "country", false),
        new("year", "strftime('%Y', start_date)", "start_year", true),
        new("month", "strftime('%Y-%m', start_date)", "start_month", true),
    ];

    private static readonly (string Word, string Status)[] StatusWords =
    [
        ("not yet recruiting", "Not yet recruiting"), ("active not recruiting", "Active, not recruiting"),
        ("recruiting", "Recruiting"), ("completed", "Completed"), ("terminated", "Terminated"),
        ("withdrawn", "Withdrawn"), ("suspended", "Suspended"), ("ongoing", "Active, not recruiting"),
    ];

    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.Ordinal)
    {
        ["diabetes"] = "Type 2 Diabetes", ["alzheimers"] = "Alzheimer's Disease", ["alzheimer"] = "Alzheimer's Disease",
        ["parkinsons"] = "Parkinson's Disease", ["parkinson"] = "Parkinson's Disease", ["covid"] = "COVID-19",
        ["crohns"] = "Crohn's Disease", ["ms"] = "Multiple Sclerosis", ["ckd"] = "Chronic Kidney Disease",
        ["usa"] = "United States", ["us"] = "United States", ["america"] = "United States", ["uk"] = "United Kingdom",
        ["britain"] = "United Kingdom", ["korea"] = "South Korea", ["gsk"] = "GlaxoSmithKline", ["msd"] = "Merck Sharp & Dohme",
        ["merck"] = "Merck Sharp & Dohme", ["j&j"] = "Johnson & Johnson", ["lilly"] = "Eli Lilly", ["bms"] = "Bristol-Myers Squibb",
        ["nci"] = "National Cancer Institute", ["oxford"] = "University of Oxford", ["toronto"] = "University of Toronto",
        ["stanford"] = "Stanford University", ["mayo"] = "Mayo Clinic", ["karolinska"] = "Karolinska Institutet",
        ["charite"] = "Charité Berlin", ["boehringer"] = "Boehringer Ingelheim", ["gilead"] = "Gilead Sciences",
        ["novo"] = "Novo Nordisk", ["bristol"] = "Bristol-Myers Squibb", ["johnson"] = "Johnson & Johnson",
    };

    public static string? Generate(string question)
    {
        var q = " " + QuestionText.Normalize(question) + " ";
        var where = new List<string>();
        AddVocabularyFilter(q, where, "condition", DemoData.Conditions);
        AddVocabularyFilter(q, where, "sponsor", DemoData.Sponsors);
        AddVocabularyFilter(q, where, "country", DemoData.Countries);
        if (!where.Any(w => w.StartsWith("condition", StringComparison.Ordinal)) && q.Contains(" cancer", StringComparison.Ordinal))
        {
            where.Add("condition LIKE '%Cancer%'");
        }

        AddPhaseFilter(q, where);
        AddStatusFilter(q, where);
        AddYearFilter(q, where);

        var dimension = FindDimension(q);
        var measure = FindMeasure(q);
        var top = TopCount(q);
        var listing = ListWords().IsMatch(q);
        var counting = CountWords().IsMatch(q);

        if (dimension is not null)
        {
            return Grouped(dimension, measure ?? ("COUNT(*)", "studies"), where, top);
        }

        if (measure is { } m)
        {
            return Build($"SELECT {m.Expression} AS {m.Alias}", where, null, null, null);
        }

        if (counting)
        {
            return Build("SELECT COUNT(*) AS studies", where, null, null, null);
        }

        var largest = LargestWords().IsMatch(q);
        var newest = NewestWords().IsMatch(q);
        if (listing || largest || newest || (where.Count > 0 && (q.Contains(" studies ", StringComparison.Ordinal) || q.Contains(" trials ", StringComparison.Ordinal))))
        {
            var order = largest ? "enrollment DESC" : "start_date DESC";
            return Build("SELECT nct_id, title, phase, status, condition, sponsor, country, start_date, enrollment", where, null, order, top ?? (largest ? 10 : 100));
        }

        return null;
    }

    private static string Grouped(Dimension dimension, (string Expression, string Alias) measure, List<string> where, int? top)
    {
        var select = $"SELECT {(dimension.Expression == dimension.Alias ? dimension.Alias : $"{dimension.Expression} AS {dimension.Alias}")}, {measure.Expression} AS {measure.Alias}";
        var order = top is not null || !dimension.Ordered ? $"{measure.Alias} DESC" : dimension.Alias;
        return Build(select, where, dimension.Alias, order, top);
    }

    private static string Build(string select, List<string> where, string? groupBy, string? orderBy, int? limit)
    {
        var sql = new StringBuilder(select).Append("\nFROM ").Append(DemoData.Table);
        if (where.Count > 0)
        {
            sql.Append("\nWHERE ").Append(string.Join("\n  AND ", where));
        }

        if (groupBy is not null)
        {
            sql.Append("\nGROUP BY ").Append(groupBy);
        }

        if (orderBy is not null)
        {
            sql.Append("\nORDER BY ").Append(orderBy);
        }

        if (limit is not null)
        {
            sql.Append("\nLIMIT ").Append(limit);
        }

        return sql.Append(';').ToString();
    }

    private static void AddVocabularyFilter(string q, List<string> where, string column, string[] values)
    {
        var found = values.Where(v => q.Contains($" {QuestionText.Normalize(v)} ", StringComparison.Ordinal)).ToList();
        if (found.Count == 0)
        {
            found = Synonyms.Where(s => values.Contains(s.Value) && q.Contains($" {s.Key} ", StringComparison.Ordinal)).Select(s => s.Value).Distinct().ToList();
        }

        found = found.Where(v => !found.Any(o => o != v && o.Contains(v, StringComparison.Ordinal))).ToList();
        if (found.Count == 1)
        {
            where.Add($"{column} = {QuestionText.Literal(found[0])}");
        }
        else if (found.Count > 1)
        {
            where.Add($"{column} IN ({string.Join(", ", found.Select(QuestionText.Literal))})");
        }
    }

    private static void AddPhaseFilter(string q, List<string> where)
    {
        var match = PhaseWords().Match(q);
        if (!match.Success)
        {
            return;
        }

        var phase = match.Groups["early"].Success ? "Early Phase 1" : match.Groups["n"].Value switch
        {
            "1" or "i" => "Phase 1",
            "2" or "ii" => "Phase 2",
            "3" or "iii" => "Phase 3",
            _ => "Phase 4",
        };
        where.Add($"phase = {QuestionText.Literal(phase)}");
    }

    private static void AddStatusFilter(string q, List<string> where)
    {
        foreach (var (word, status) in StatusWords)
        {
            if (q.Contains($" {word} ", StringComparison.Ordinal))
            {
                where.Add($"status = {QuestionText.Literal(status)}");
                return;
            }
        }
    }

    private static void AddYearFilter(string q, List<string> where)
    {
        if (BetweenYears().Match(q) is { Success: true } between)
        {
            where.Add($"start_date >= '{between.Groups[1].Value}-01-01'");
            where.Add($"start_date < '{int.Parse(between.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}-01-01'");
        }
        else if (SinceYear().Match(q) is { Success: true } since)
        {
            var year = int.Parse(since.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            where.Add($"start_date >= '{(since.Groups[1].Value == "after" ? year + 1 : year)}-01-01'");
        }
        else if (BeforeYear().Match(q) is { Success: true } before)
        {
            where.Add($"start_date < '{before.Groups[1].Value}-01-01'");
        }
        else if (InYear().Match(q) is { Success: true } inYear)
        {
            var year = int.Parse(inYear.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            where.Add($"start_date >= '{year}-01-01'");
            where.Add($"start_date < '{year + 1}-01-01'");
        }
    }

    private static Dimension? FindDimension(string q)
    {
        if (ByWord().Match(q) is { Success: true } by)
        {
            return DimensionFor(by.Groups["dim"].Value);
        }

        if (TopWords().Match(q) is { Success: true } top)
        {
            return DimensionFor(top.Groups["dim"].Value);
        }

        if (MostWords().Match(q) is { Success: true } most)
        {
            return DimensionFor(most.Groups["dim"].Value);
        }

        return TrendWords().IsMatch(q) ? Dimensions[5] : null;
    }

    private static Dimension? DimensionFor(string word) => word switch
    {
        _ when word.StartsWith("phase", StringComparison.Ordinal) => Dimensions[0],
        _ when word.StartsWith("status", StringComparison.Ordinal) => Dimensions[1],
        _ when word.StartsWith("condition", StringComparison.Ordinal) || word.StartsWith("disease", StringComparison.Ordinal) || word.StartsWith("indication", StringComparison.Ordinal) => Dimensions[2],
        _ when word.StartsWith("sponsor", StringComparison.Ordinal) || word.StartsWith("compan", StringComparison.Ordinal) => Dimensions[3],
        _ when word.StartsWith("countr", StringComparison.Ordinal) => Dimensions[4],
        _ when word.StartsWith("year", StringComparison.Ordinal) || word == "annually" => Dimensions[5],
        _ when word.StartsWith("month", StringComparison.Ordinal) => Dimensions[6],
        _ => null,
    };

    private static (string Expression, string Alias)? FindMeasure(string q)
    {
        var aboutEnrollment = EnrollmentWords().IsMatch(q);
        if (aboutEnrollment && AverageWords().IsMatch(q))
        {
            return ("ROUND(AVG(enrollment), 1)", "avg_enrollment");
        }

        if (aboutEnrollment && TotalWords().IsMatch(q))
        {
            return ("SUM(enrollment)", "total_enrollment");
        }

        if (DurationWords().IsMatch(q))
        {
            return ("ROUND(AVG(julianday(completion_date) - julianday(start_date)), 0)", "avg_duration_days");
        }

        return null;
    }

    private static int? TopCount(string q) =>
        TopN().Match(q) is { Success: true } top ? int.Clamp(int.Parse(top.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 1000)
        : TopWords().IsMatch(q) || MostWords().IsMatch(q) ? 10 : null;

    private const string DimensionWords = @"(?<dim>phases?|status(es)?|conditions?|diseases?|indications?|sponsors?|compan(y|ies)|countr(y|ies)|years?|months?)";

    [GeneratedRegex(@" (by|per|each|across|for every|breakdown of|distribution of|split by) " + DimensionWords + " ")]
    private static partial Regex ByWord();

    [GeneratedRegex(@" top (\d+ )?" + DimensionWords + " ")]
    private static partial Regex TopWords();

    [GeneratedRegex(@" (which|what) " + DimensionWords + " (have|has|run|runs|sponsor|sponsors|had)? ?(the )?most ")]
    private static partial Regex MostWords();

    [GeneratedRegex(@" top (\d+) ")]
    private static partial Regex TopN();

    [GeneratedRegex(@" (over time|trend|yearly|annually|each year|per year|started each year) ")]
    private static partial Regex TrendWords();

    [GeneratedRegex(@" (?<early>early phase (1|i)) | phase ?(?<n>1|2|3|4|i|ii|iii|iv) ")]
    private static partial Regex PhaseWords();

    [GeneratedRegex(@" (list|show|which|find|give me|what are|display) ")]
    private static partial Regex ListWords();

    [GeneratedRegex(@" (how many|number of|count|total number) ")]
    private static partial Regex CountWords();

    [GeneratedRegex(@" (largest|biggest|most participants|most patients) ")]
    private static partial Regex LargestWords();

    [GeneratedRegex(@" (latest|newest|most recent|recent) ")]
    private static partial Regex NewestWords();

    [GeneratedRegex(@" (enrollment|enrolment|enrolled|participants|patients|size) ")]
    private static partial Regex EnrollmentWords();

    [GeneratedRegex(@" (average|mean|avg|typical) ")]
    private static partial Regex AverageWords();

    [GeneratedRegex(@" (total|sum|overall|altogether) ")]
    private static partial Regex TotalWords();

    [GeneratedRegex(@" (duration|how long|length) ")]
    private static partial Regex DurationWords();

    [GeneratedRegex(@" between (\d{4}) and (\d{4}) ")]
    private static partial Regex BetweenYears();

    [GeneratedRegex(@" (since|after|from) (\d{4}) ")]
    private static partial Regex SinceYear();

    [GeneratedRegex(@" before (\d{4}) ")]
    private static partial Regex BeforeYear();

    [GeneratedRegex(@" in (\d{4}) ")]
    private static partial Regex InYear();
}
